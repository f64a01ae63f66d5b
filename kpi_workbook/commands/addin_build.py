"""`kpi addin build` and `kpi addin install`: the ribbon add-ins (one per button) from xlwings' template.

Each command (计算, 校验, 生成下期模板, 导入数据, 生成个人报告) is one small add-in file, because the template's VBA
runs ``import <add-in file name>; <name>.main()``. Every file is a copy of
``quickstart_addin_ribbon.xlam`` from the installed xlwings package (open-source, BSD: its
VBA is xlwings' own RunPython code), with exactly these parts changed:

- ``customUI/customUI.xml`` ← our ribbon XML (``addin/ribbon/<command>.xml``): one button on
  the shared tab 「KPI 考核」;
- the config sheet ``_myaddin.conf`` is renamed ``myaddin.conf``, the name the VBA looks for
  (``PROJECT_NAME & ".conf"`` with PROJECT_NAME = "myaddin"; the leading underscore is how
  the template ships it switched off), and its rows are set (:func:`config_rows`);
- ``xl/sharedStrings.xml`` holds that sheet's text.

The VBA project (``xl/vbaProject.bin``) and every other part are copied byte for byte. The
Python modules the add-ins import are copied beside them (the VBA puts the add-in's folder
on PYTHONPATH); they are also installed with the package, which is what an add-in in
Excel's startup folder uses.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import sys
import zipfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from defusedxml import ElementTree

from kpi_engine.errors import KpiError
from kpi_engine.i18n import PerLang, both, tr

from ..ooxml import Package, scratch_folder, sheet_entries, unused_path
from ..ooxml.parts import NS_MAIN
from ..ooxml.xmltext import escape

COMMANDS = ("kpi_compute", "kpi_validate", "kpi_new_period", "kpi_import", "kpi_report")
UDF_MODULE = "kpi_udfs"
MODULES = ("kpi_addin", "kpi_xlwings_adapter", "kpi_excel_errors", *COMMANDS, UDF_MODULE, "kpi_udf_core", "kpi_udf_scheme")
TEMPLATE = "quickstart_addin_ribbon.xlam"
PROJECT_NAME = "myaddin"  # Public Const PROJECT_NAME in the template's xlwings VBA module
CONFIG_SHEET = f"{PROJECT_NAME}.conf"
TEMPLATE_CONFIG_SHEET = f"_{PROJECT_NAME}.conf"
DEFAULT_BUILD_DIR = Path("addin_build")

REL_UI = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
REL_UI_2007 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"


class AddinBuildError(KpiError):
    """The xlwings template is missing or not shaped as expected (message zh / en)."""

    code = "addin_build"


# -- what goes into each add-in ---------------------------------------------------


def config_rows(command: str, interpreter_win: str = "", interpreter_mac: str = "") -> list[tuple[str, str | bool]]:
    """The rows of the add-in's ``myaddin.conf`` sheet (A: key, B: value).

    Only what the add-in must pin is set, so that anything left out can still come from a
    ``myaddin.conf`` file (``%USERPROFILE%\\.myaddin\\myaddin.conf``, or beside the
    workbook), which the VBA reads when a key is not on the sheet:

    - ADD_WORKBOOK_TO_PYTHONPATH = true: the add-in's own folder goes on sys.path, so the
      modules copied beside the .xlam are found (the installed package is found anyway);
    - Use UDF Server / Debug UDFs / Show Console = FALSE: each click runs a fresh Python,
      hidden, that exits when done;
    - UDF Modules = kpi_udfs, on the compute add-in only (its functions are imported once
      into that add-in, see addin/README.md);
    - Interpreter_Win / Interpreter_Mac only when given: without them the VBA runs
      ``python`` from PATH.
    """
    rows: list[tuple[str, str | bool]] = []
    if interpreter_win:
        rows.append(("Interpreter_Win", interpreter_win))
    if interpreter_mac:
        rows.append(("Interpreter_Mac", interpreter_mac))
    rows.append(("ADD_WORKBOOK_TO_PYTHONPATH", "true"))
    if command == "kpi_compute":
        rows.append(("UDF Modules", UDF_MODULE))
    rows += [("Use UDF Server", False), ("Debug UDFs", False), ("Show Console", False)]
    return rows


def ribbon_xml(command: str) -> bytes:
    """Our ribbon XML for one add-in, checked to be well-formed customUI."""
    data = resources.files("kpi_workbook.addin_ribbon").joinpath(f"{command}.xml").read_bytes()
    root = ElementTree.fromstring(data)
    if not root.tag.endswith("}customUI"):
        raise AddinBuildError(f"{command}.xml 不是 customUI / is not a customUI document")
    return data


def template_path() -> Path:
    """``quickstart_addin_ribbon.xlam`` of the installed xlwings package."""
    path = Path(str(resources.files("xlwings").joinpath(TEMPLATE)))
    if not path.is_file():
        raise AddinBuildError(f"找不到 xlwings 的加载项模板 {path}，请重新安装 xlwings / "
                              f"xlwings' add-in template {path} is missing; reinstall xlwings")
    return path


def module_path(name: str) -> Path:
    """Where the Python module ``name`` of the add-in is installed (or sits in addin/)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin:
        raise AddinBuildError(f"找不到模块 {name}，请先 pip install 本项目 / module {name} not found; pip install the project")
    return Path(spec.origin)


# -- editing the template's parts ----------------------------------------------------


def _config_sheet_part(pkg: Package) -> tuple[str, str]:
    """(worksheet part, shared strings part) of the template's config sheet."""
    wb_part, root = pkg.workbook()
    sheet = next((s for s in sheet_entries(pkg, wb_part, root) if s.name == TEMPLATE_CONFIG_SHEET and s.part), None)
    if sheet is None:
        raise AddinBuildError(f"模板中没有 {TEMPLATE_CONFIG_SHEET} 工作表 / the template has no {TEMPLATE_CONFIG_SHEET} sheet")
    strings = pkg.rel_of_type(wb_part, "/sharedStrings")
    if strings is None:
        raise AddinBuildError("模板中没有 sharedStrings / the template has no shared strings part")
    return sheet.part, strings.part


def _custom_ui_part(pkg: Package) -> str:
    ui = next((r for r in pkg.rels("") if r.type in (REL_UI, REL_UI_2007) and r.part), None)
    if ui is None:
        raise AddinBuildError("模板没有 customUI 关系 / the template has no customUI relationship")
    return ui.part


def _config_sheet_xml(original: bytes, rows: list[tuple[str, str | bool]], strings: list[str]) -> bytes:
    """The config sheet with ``rows`` in A:B; text cells index into ``strings`` (appended)."""
    def text_cell(ref: str, value: str) -> str:
        if value not in strings:
            strings.append(value)
        return f'<c r="{ref}" s="1" t="s"><v>{strings.index(value)}</v></c>'

    xml_rows = []
    for i, (key, value) in enumerate(rows, 1):
        cells = text_cell(f"A{i}", key)
        if isinstance(value, bool):
            cells += f'<c r="B{i}" s="1" t="b"><v>{int(value)}</v></c>'
        elif value != "":
            cells += text_cell(f"B{i}", value)
        xml_rows.append(f'<row r="{i}" spans="1:2">{cells}</row>')
    text = original.decode("utf-8")
    text, n_data = re.subn(r"<sheetData\s*/>|<sheetData>.*?</sheetData>", "<sheetData>" + "".join(xml_rows) + "</sheetData>",
                           text, count=1, flags=re.S)
    text, n_dim = re.subn(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:B{len(rows)}" />', text, count=1)
    if not (n_data and n_dim):
        raise AddinBuildError("模板的配置表结构无法识别 / the template's config sheet is not as expected")
    data = text.encode("utf-8")
    ElementTree.fromstring(data)  # still well-formed
    return data


def _shared_strings_xml(strings: list[str]) -> bytes:
    keep = ' xml:space="preserve"'
    items = "".join(f"<si><t{keep if s != s.strip() else ''}>{escape(s, attribute=False)}</t></si>" for s in strings)
    data = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<sst xmlns="{NS_MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>').encode()
    ElementTree.fromstring(data)
    return data


def _workbook_xml(original: bytes) -> bytes:
    """The config sheet switched on: ``_myaddin.conf`` → ``myaddin.conf``."""
    text = original.decode("utf-8")
    old, new = f'name="{TEMPLATE_CONFIG_SHEET}"', f'name="{CONFIG_SHEET}"'
    if text.count(old) != 1:
        raise AddinBuildError(f"模板中 {TEMPLATE_CONFIG_SHEET} 出现 {text.count(old)} 次 / unexpected template workbook.xml")
    data = text.replace(old, new).encode("utf-8")
    ElementTree.fromstring(data)
    return data


def build_addin(command: str, out: Path, template: Path | None = None, *, interpreter_win: str = "",
                interpreter_mac: str = "") -> Path:
    """One add-in file: the template with our ribbon and config sheet; VBA untouched."""
    template = template or template_path()
    with zipfile.ZipFile(template) as zf:
        pkg = Package(zf)
        sheet_part, strings_part = _config_sheet_part(pkg)
        strings: list[str] = []
        rows = config_rows(command, interpreter_win, interpreter_mac)
        changed = {
            _custom_ui_part(pkg): ribbon_xml(command),
            "xl/workbook.xml": _workbook_xml(zf.read("xl/workbook.xml")),
            sheet_part: _config_sheet_xml(zf.read(sheet_part), rows, strings),
        }
        changed[strings_part] = _shared_strings_xml(strings)
        missing = set(changed) - set(zf.namelist())
        if missing:
            raise AddinBuildError(f"模板缺少部件 {sorted(missing)} / template parts missing")
        tmp = out.with_name(f".~{out.name}.tmp")
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
                for info in zf.infolist():
                    data = changed.get(info.filename)
                    item = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    item.compress_type = zipfile.ZIP_DEFLATED
                    item.external_attr = info.external_attr
                    dst.writestr(item, data if data is not None else zf.read(info.filename))
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
    return out


INSTALL_TXT = """KPI 考核 Excel 加载项
====================

本文件夹由 `kpi addin build` 生成：
  kpi_compute.xlam     「计算」按钮（另含工作表函数 KPI_TOTAL、KPI_TABLE 等）
  kpi_validate.xlam    「校验」按钮
  kpi_new_period.xlam  「生成下期模板」按钮
  kpi_import.xlam      「导入数据」按钮（平台导出文件，按店铺、按日）
  kpi_report.xlam      「生成个人报告」按钮（每人一页绩效面谈表，由 Excel 导出 PDF）
  *.py                 加载项调用的 Python 模块（与 pip 安装的本项目相同）

五个按钮出现在同一个「KPI 考核」选项卡上，可以只装需要的几个。

前提（Windows 或 macOS 上的 Excel）
  1. 安装 Python 3.10 或更高版本（Windows 安装时勾选 "Add python.exe to PATH"）。
  2. 用这个 Python 安装本项目：pip install <项目文件夹或 .whl>（会一并装好 xlwings）。
  3. 仅 macOS：在终端运行一次 xlwings runpython install。
  不需要 xlwings 自带的加载项（xlwings addin install），也不需要任何许可证。

安装
  kpi addin install            （复制 .xlam 到 Excel 启动文件夹，按当前 Python 固定解释器）
  或手动把 .xlam 复制到：
    Windows：%APPDATA%\\Microsoft\\Excel\\XLSTART
    macOS：  ~/Library/Group Containers/UBF8T346G9.Office/User Content/Startup/Excel
  然后重新打开 Excel，打开考核工作簿，点「KPI 考核」→「计算」。

出错时会弹出中文提示；意外错误的详细记录保存在临时文件夹，提示中会给出文件位置。
详细说明见项目的 addin/README.md。
"""


def build_addins(outdir: Path, *, interpreter_win: str = "", interpreter_mac: str = "") -> list[Path]:
    """Build the add-ins into ``outdir``, copy their Python modules beside them, write INSTALL.txt.

    Returns the paths of the .xlam files. Files of those names in ``outdir`` are replaced: the
    command chooses the folder with :func:`build_folder`.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    template = template_path()
    built = [build_addin(c, outdir / f"{c}.xlam", template, interpreter_win=interpreter_win,
                         interpreter_mac=interpreter_mac) for c in COMMANDS]
    for name in MODULES:
        shutil.copyfile(module_path(name), outdir / f"{name}.py")
    (outdir / "INSTALL.txt").write_text(INSTALL_TXT, encoding="utf-8")
    return built


def built_files() -> list[str]:
    """The names of the files :func:`build_addins` writes into its folder."""
    return [f"{c}.xlam" for c in COMMANDS] + [f"{m}.py" for m in MODULES] + ["INSTALL.txt"]


def build_folder(outdir: Path, force: bool = False) -> Path:
    """The folder ``kpi addin build`` writes into: ``outdir``, unless it already holds files of the
    names a build writes (an earlier build, or a file of the user's) and ``force`` is not given;
    then the next free ``outdir (2)`` (the product's one rule, :func:`kpi_workbook.ooxml.unused_path`:
    the add-ins' file names cannot change, since the VBA imports the module of the file's name)."""
    outdir = Path(outdir)
    if force or not any((outdir / name).exists() or (outdir / name).is_symlink() for name in built_files()):
        return outdir
    return unused_path(outdir)


# -- install -------------------------------------------------------------------------


class AddinInstallError(KpiError):
    """The add-ins could not be installed here (message zh / en from the catalogs' addin_install)."""

    code = "addin_install"
    section = "addin_install"


def startup_folder(system: str | None = None) -> Path | None:
    """Excel's per-user startup folder (XLSTART) on Windows and macOS; None elsewhere."""
    system = system or sys.platform
    if system.startswith("win"):
        appdata = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"
    if system == "darwin":
        return Path.home() / "Library" / "Group Containers" / "UBF8T346G9.Office" / "User Content" / "Startup" / "Excel"
    return None


def install_addins(builddir: Path | None = None, *, system: str | None = None, lang: str | None = None) -> str:
    """Copy the built add-ins into Excel's startup folder; returns what was done.

    Without ``builddir`` the add-ins are built first, in a scratch folder (nothing is left in the
    current folder), pinned to the Python running this command, which is the one that has the
    package installed. Add-ins of the same names already in the startup folder are replaced:
    installing again is how an update or another Python is put in place. Raises
    :class:`AddinInstallError` when nothing could be installed (no Excel startup folder on this
    system, no add-ins in ``builddir``, the folder not writable, Excel holding the files open).
    """
    system = system or sys.platform
    folder = startup_folder(system)
    if folder is None:
        where = Path(builddir) if builddir else DEFAULT_BUILD_DIR
        built = sorted(p.name for p in where.glob("kpi_*.xlam")) if where.is_dir() else []
        files = PerLang(*both("addin_install.files_built", folder=where.resolve(), names=", ".join(built))) if built \
            else PerLang(*both("addin_install.files_none"))
        raise AddinInstallError.of("not_here", system=system, files=files)
    try:
        if builddir is None:
            pin = {"interpreter_win": sys.executable} if system.startswith("win") else {"interpreter_mac": sys.executable}
            with scratch_folder("kpi_addin_") as tmp:
                _copy_into(folder, build_addins(tmp, **pin))
        else:
            where = Path(builddir)
            addins = [where / f"{c}.xlam" for c in COMMANDS if (where / f"{c}.xlam").is_file()]
            if not addins:
                raise AddinInstallError.of("no_files", folder=where)
            _copy_into(folder, addins)
        extra = PerLang(*both("addin_install.runpython_mac")) if system == "darwin" else ""
        if system == "darwin":
            _enable_runpython_mac()
    except PermissionError as exc:
        raise AddinInstallError.of("locked", name=exc.filename or folder) from exc
    except (AddinInstallError, AddinBuildError):
        raise
    except OSError as exc:
        raise AddinInstallError.of("failed", detail=exc) from exc
    names = [f"{c}.xlam" for c in COMMANDS]
    return tr("addin_install.done", lang, names=PerLang("、".join(names), ", ".join(names)), folder=folder,
              extra=extra)


def _copy_into(folder: Path, addins: list[Path]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for path in addins:
        shutil.copyfile(path, folder / path.name)


def _enable_runpython_mac() -> None:
    """What `xlwings runpython install` does: put xlwings' AppleScript where Excel may run it."""
    import xlwings

    script = Path(xlwings.__file__).parent / f"xlwings-{xlwings.__version__}.applescript"
    target = Path.home() / "Library" / "Application Scripts" / "com.microsoft.Excel"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(script, target / script.name)


# -- standalone command line -----------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kpi_workbook.commands.addin_build build [-o DIR] [--force] | install [--from DIR]``."""
    p = argparse.ArgumentParser(prog="kpi addin", description="KPI 考核 Excel 加载项 / the KPI Excel add-ins")
    sub = p.add_subparsers(dest="action", required=True)
    b = sub.add_parser("build", help="生成加载项 / build the add-ins")
    b.add_argument("-o", "--output-dir", default=str(DEFAULT_BUILD_DIR))
    b.add_argument("--interpreter-win", default="", help="Windows 上 python.exe 的完整路径（默认用 PATH 中的 python）")
    b.add_argument("--interpreter-mac", default="", help="macOS 上 python 的完整路径（默认 python）")
    b.add_argument("--force", action="store_true", help="覆盖文件夹中已有的同名文件 / replace files of the same names")
    i = sub.add_parser("install", help="安装到 Excel 启动文件夹 / install into Excel's startup folder")
    i.add_argument("--from", dest="build_dir", default=None)
    args = p.parse_args(argv)
    try:
        if args.action == "build":
            folder = build_folder(Path(args.output_dir), args.force)
            paths = build_addins(folder, interpreter_win=args.interpreter_win, interpreter_mac=args.interpreter_mac)
            print("已生成加载项 / built: " + ", ".join(str(x) for x in paths))
        else:
            print(install_addins(Path(args.build_dir) if args.build_dir else None))
    except (KpiError, OSError) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
