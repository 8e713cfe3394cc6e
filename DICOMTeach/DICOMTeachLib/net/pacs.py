"""A lesson PACS: Debian's Orthanc on free loopback ports with temporary storage.

    pacs = LessonPacs.start()          # Orthanc + its DICOMweb plugin, answering in ~0.1 s
    pacs.dicom_address                 # "127.0.0.1:<port>", called AE title pacs.ae_title
    pacs.dicomweb_url                  # "http://127.0.0.1:<port>/dicom-web"
    pacs.stop()                        # ends the process and deletes the storage

Orthanc has no bind-address option (it listens on every interface), so remote
access is switched off and everything we send goes to 127.0.0.1. The PACS
checks the called AE title, so a wrong one is rejected as a real PACS does, and
knows one modality, our own storage SCP (AE ``DICOMTEACH`` on ``move_port``),
as the destination of C-MOVE.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import DICOMTeachError

ORTHANC = "/usr/sbin/Orthanc"
DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
LOOPBACK = "127.0.0.1"
PACS_AE_TITLE = "ORTHANC"
OUR_AE_TITLE = "DICOMTEACH"
STATE_FILE = "pacs.json"
START_TIMEOUT = 15.0


def free_port() -> int:
    """A TCP port nobody listens on at this moment (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def default_folder() -> Path:
    """Where `dicomteach pacs start` keeps the PACS of this user (one at a time)."""
    return Path(tempfile.gettempdir()) / f"dicomteach-pacs-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


@dataclass
class LessonPacs:
    """A running Orthanc: its process, ports and folder (config, storage, log)."""

    folder: Path
    pid: int
    http_port: int
    dicom_port: int
    move_port: int
    ae_title: str = PACS_AE_TITLE
    move_ae_title: str = OUR_AE_TITLE

    @property
    def dicom_address(self) -> str:
        return f"{LOOPBACK}:{self.dicom_port}"

    @property
    def http_url(self) -> str:
        return f"http://{LOOPBACK}:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.http_url}/dicom-web"

    @property
    def log_file(self) -> Path:
        return self.folder / "orthanc.log"

    # -- life cycle ---------------------------------------------------------------------------------------

    @classmethod
    def start(cls, folder: str | Path | None = None, *, move_port: int | None = None,
              dicomweb: bool = True, known_callers_only: bool = False) -> LessonPacs:
        """Start Orthanc in ``folder`` (a new temporary folder by default) and wait until it answers.

        ``known_callers_only``: answer only the AE titles it knows (our DICOMTEACH), as a hospital PACS does.
        """
        if not Path(ORTHANC).exists():
            raise DICOMTeachError(f"Orthanc is not installed ({ORTHANC} is missing): "
                                  "apt-get install orthanc orthanc-dicomweb")
        if dicomweb and not Path(DICOMWEB_PLUGIN).exists():
            raise DICOMTeachError(f"Orthanc's DICOMweb plugin is not installed ({DICOMWEB_PLUGIN}): "
                                  "apt-get install orthanc-dicomweb")
        folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="dicomteach-pacs-"))
        folder.mkdir(parents=True, exist_ok=True)
        http_port, dicom_port = free_port(), free_port()
        move_port = move_port or free_port()
        config = {
            "Name": "DICOMTeach lesson PACS",
            "StorageDirectory": str(folder / "storage"),
            "IndexDirectory": str(folder / "storage"),
            "HttpPort": http_port,
            "DicomPort": dicom_port,
            "DicomAet": PACS_AE_TITLE,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "DicomCheckCalledAet": True,  # a wrong called AE title is rejected, as real PACS do
            "DicomAlwaysAllowEcho": not known_callers_only,
            "DicomAlwaysAllowStore": not known_callers_only,
            "DicomAlwaysAllowFind": not known_callers_only,
            "DicomAlwaysAllowGet": not known_callers_only,
            "DicomAlwaysAllowMove": not known_callers_only,
            "DicomModalities": {"dicomteach": [OUR_AE_TITLE, LOOPBACK, move_port]},
            "DicomAssociationCloseDelay": 0,
            "SaveJobs": False,
            "Plugins": [DICOMWEB_PLUGIN] if dicomweb else [],
            # BulkDataURIs and WADO links name this host, not port 80.
            "DicomWeb": {"Enable": dicomweb, "Root": "/dicom-web/", "Host": f"{LOOPBACK}:{http_port}",
                         "Ssl": False},
        }
        config_path = folder / "orthanc.json"
        config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        log = open(folder / "orthanc.log", "ab")  # noqa: SIM115 - handed to the child process
        try:
            process = subprocess.Popen([ORTHANC, str(config_path)], stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, cwd=folder, start_new_session=True)
        finally:
            log.close()
        pacs = cls(folder=folder, pid=process.pid, http_port=http_port, dicom_port=dicom_port,
                   move_port=move_port)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise DICOMTeachError(f"Orthanc stopped at start (exit {process.returncode}); "
                                      f"see {pacs.log_file}: {pacs._log_tail()}")
            if pacs.answers():
                (folder / STATE_FILE).write_text(json.dumps(pacs.to_json_dict(), indent=2), encoding="utf-8")
                return pacs
            time.sleep(0.05)
        pacs.stop()
        raise DICOMTeachError(f"Orthanc did not answer within {START_TIMEOUT:.0f} s; see {pacs.log_file}")

    @classmethod
    def from_folder(cls, folder: str | Path) -> LessonPacs:
        """The PACS `dicomteach pacs start` left running in ``folder``."""
        state = Path(folder) / STATE_FILE
        try:
            data = json.loads(state.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise DICOMTeachError("no lesson PACS runs from this folder (start one with: dicomteach pacs start)",
                                  state) from error
        data["folder"] = Path(data["folder"])
        return cls(**{key: data[key] for key in cls.__dataclass_fields__})

    def answers(self) -> bool:
        """Orthanc's REST API replies (it listens on both ports once it does)."""
        try:
            with urllib.request.urlopen(f"{self.http_url}/system", timeout=1) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def is_running(self) -> bool:
        return _is_our_orthanc(self.pid, self.folder)

    def stop(self, *, keep_folder: bool = False) -> None:
        """End this Orthanc (only its own process id) and delete its folder."""
        if _is_our_orthanc(self.pid, self.folder):
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _is_alive(self.pid):
                _reap(self.pid)
                time.sleep(0.05)
            if _is_alive(self.pid):
                os.kill(self.pid, signal.SIGKILL)
                _reap(self.pid)
        if not keep_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def to_json_dict(self) -> dict:
        data = asdict(self)
        data["folder"] = str(self.folder)
        data.update(dicom_address=self.dicom_address, http_url=self.http_url, dicomweb_url=self.dicomweb_url)
        return data

    def _log_tail(self) -> str:
        try:
            return " | ".join(self.log_file.read_text(errors="replace").strip().splitlines()[-3:])
        except OSError:
            return ""


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _is_our_orthanc(pid: int, folder: Path) -> bool:
    """The process is alive and is the Orthanc started with this folder's config (never another process)."""
    if not _is_alive(pid):
        return False
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(command) and command[0].endswith(b"Orthanc") and str(folder / "orthanc.json").encode() in command
