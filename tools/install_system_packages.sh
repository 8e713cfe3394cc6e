#!/usr/bin/env bash
# Debian packages some tests use, installed only when missing (needs root; apt-get update first).
# Without them those tests skip and say which package they need.
#   orthanc, orthanc-dicomweb   the lesson PACS of the network tests (DIMSE and DICOMweb)
#   chromium, chromium-driver   the explain page tested in a real headless browser
#   fonts-dejavu-core           fonts for the offscreen Qt panel's screenshots
#   dcmtk                       dcmmkdir writes a DICOMDIR the explain tests read
set -euo pipefail
packages=(orthanc orthanc-dicomweb chromium chromium-driver fonts-dejavu-core dcmtk)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
