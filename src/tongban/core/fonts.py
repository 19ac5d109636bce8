"""Where the CJK TrueType font is on this machine, for everything that draws Chinese (PDF notices, seal pictures).

The bootstrap installs fonts-wqy-zenhei; other places and fontconfig's answer are tried after it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# Fixed places, most preferred first (Debian/Ubuntu, then other common layouts).
CJK_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
)
MISSING_MESSAGE = (
    "需要中文 TrueType 字体，但本机没有找到（例如执行 apt-get install fonts-wqy-zenhei）。"
    " No CJK TrueType font found: install fonts-wqy-zenhei."
)


class CjkFontMissing(RuntimeError):
    """No CJK TrueType font was found on this machine."""


def _fontconfig_candidates() -> list[str]:
    """Font files fontconfig knows for Chinese, as a fallback to the fixed paths."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        command = [fc_list, ":lang=zh", "file"]  # a fixed argument list, no shell
        result = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return []
    files = (line.strip().rstrip(":") for line in result.stdout.splitlines())
    return sorted(path for path in files if path.lower().endswith((".ttf", ".ttc")))


def cjk_font_candidates() -> list[str]:
    """Existing CJK font files, best first (callers try them in order: some cannot be embedded)."""
    fixed = [path for path in CJK_FONT_PATHS if Path(path).is_file()]
    return fixed + [path for path in _fontconfig_candidates() if path not in fixed]
