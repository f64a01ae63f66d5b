"""`kpi addin build` / `install`: every add-in the build produces, read back part by part.

No Excel here, so each add-in is checked the way Excel and the template's VBA will read it:
the zip package and its content types, the customUI part against Office's own RibbonX schema
for its namespace (``tests/support/office``, read with xmlschema), the VBA project (olevba),
the config sheet the VBA's GetConfig reads, and the Python module the VBA imports. The tests
run over ``addin_build.COMMANDS``, so a new button's add-in is checked without editing them.

The VBA source is read with oletools' olevba rather than by searching vbaProject.bin's bytes:
the modules are stored compressed (MS-OVBA 2.4.1), so a procedure name may be split across
compression tokens and a byte search can miss it or find it in a stale, uncompiled copy.
"""

from __future__ import annotations

import importlib
import io
import re
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from defusedxml import ElementTree
from support.package_check import assert_sound_package

from kpi_workbook.commands import addin_build
from kpi_workbook.commands.addin_build import COMMANDS, AddinInstallError, build_addins, install_addins

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import xmlschema  # the test extra: Office's RibbonX schemas (lxml refuses them)
from oletools import olevba  # the test extra: reads the add-in's VBA project

ROOT = Path(__file__).resolve().parents[2]
OFFICE = ROOT / "tests" / "support" / "office"
NS_2006 = "http://schemas.microsoft.com/office/2006/01/customui"
NS_2009 = "http://schemas.microsoft.com/office/2009/07/customui"
XSD = {NS_2006: "customUI.xsd", NS_2009: "customui14.xsd"}
# MS-OI29500 3.4.1.3 / 3.4.1.4: the part behind each relationship type, by its root namespace
# (Office 2010 and later read the 2007 relationship's part, written in the 2009/07 namespace).
# xlwings' own template ships a 2006/01 part behind the 2007 relationship, which Excel loads as
# well: allowed, and validated against the 2006/01 schema. Our ribbons are 2009/07.
REL_UI_2006 = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
REL_UI_2007 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
NAMESPACES_OF_REL = {REL_UI_2006: {NS_2006}, REL_UI_2007: {NS_2009, NS_2006}}
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
UI_TYPES = set(NAMESPACES_OF_REL)
REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
LABELS = {"kpi_compute": "计算", "kpi_validate": "校验", "kpi_new_period": "生成下期模板",
          "kpi_import": "导入数据", "kpi_report": "生成个人报告"}  # the buttons README names


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("addins")
    paths = build_addins(out)
    assert [p.name for p in paths] == [f"{c}.xlam" for c in COMMANDS]
    return {p.stem: p for p in paths}


@pytest.fixture(scope="module")
def schemas():
    """``namespace -> xmlschema.XMLSchema10``, each loaded once when first needed (~1 s each)."""
    loaded: dict[str, xmlschema.XMLSchema10] = {}

    def schema(namespace: str) -> xmlschema.XMLSchema10:
        assert namespace in XSD, f"no Office schema for customUI namespace {namespace!r}"
        if namespace not in loaded:
            loaded[namespace] = xmlschema.XMLSchema10(str(OFFICE / XSD[namespace]))
        return loaded[namespace]

    return schema


def ui_parts(path: Path) -> list[tuple[str, str, bytes]]:
    """(relationship type, part name, bytes) of every customUI part the package links."""
    p = parts(path)
    rels = ElementTree.fromstring(p["_rels/.rels"]).findall(f"{REL}Relationship")
    found = []
    for r in rels:
        if r.get("Type") in UI_TYPES:
            name = r.get("Target").lstrip("/")
            assert r.get("TargetMode") in (None, "Internal") and name in p, name
            found.append((r.get("Type"), name, p[name]))
    return found


def delegate_attributes(schema: xmlschema.XMLSchema10) -> set[str]:
    """Every attribute the schema types as a callback (ST_Delegate): onAction, getLabel, onLoad …"""
    return {c.local_name for c in schema.iter_components(xmlschema.validators.XsdAttribute)
            if c.type is not None and c.type.local_name == "ST_Delegate"}


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def vba_modules(path: Path) -> dict[str, str]:
    """VBA module name → source code, as olevba extracts it from the add-in."""
    parser = olevba.VBA_Parser(str(path))
    try:
        return {PurePosixPath(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def procedures(code: str) -> dict[str, str]:
    """Sub/Function name → its parameter list."""
    found = re.findall(r"^\s*(?:Public\s+|Private\s+)?(?:Sub|Function)\s+(\w+)\s*\(([^)]*)\)", code, re.M | re.I)
    return {name: params for name, params in found}


def namespace_of(root: ElementTree.Element) -> str:
    """The namespace of a customUI part's root element."""
    return root.tag[1:].split("}")[0]


def ribbon(path: Path) -> tuple[ElementTree.Element, dict[str, str]]:
    (_, _, data), = ui_parts(path)
    namespaces = dict(ev[1] for ev in ElementTree.iterparse(io.BytesIO(data), events=("start-ns",)))
    return ElementTree.fromstring(data), namespaces


def config_sheet(path: Path) -> tuple[str, dict[str, object]]:
    """(sheet name, {KEY: value}) as the VBA's GetConfigFromSheet reads it: A1 down to the first blank."""
    p = parts(path)
    book = ElementTree.fromstring(p["xl/workbook.xml"])
    (sheet,) = book.findall(f"{MAIN}sheets/{MAIN}sheet")
    rels = {r.get("Id"): r.get("Target") for r in ElementTree.fromstring(p["xl/_rels/workbook.xml.rels"])}
    ws = ElementTree.fromstring(p["xl/" + rels[sheet.get(R_ID)]])
    strings = ["".join(t.text or "" for t in si.iter(f"{MAIN}t"))
               for si in ElementTree.fromstring(p["xl/sharedStrings.xml"]).findall(f"{MAIN}si")]
    cells: dict[str, object] = {}
    for c in ws.iter(f"{MAIN}c"):
        v = c.find(f"{MAIN}v")
        kind = c.get("t")
        cells[c.get("r")] = (strings[int(v.text)] if kind == "s" else bool(int(v.text)) if kind == "b"
                             else v.text if v is not None else None)
    conf: dict[str, object] = {}
    row = 1
    while cells.get(f"A{row}") not in (None, ""):
        key = str(cells[f"A{row}"]).upper()
        assert key not in conf, f"duplicate key {key}: the VBA's Dictionary.Add would fail"
        conf[key] = cells.get(f"B{row}")
        row += 1
    return sheet.get("name"), conf


# -- the package -----------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_package_is_a_valid_addin(built: dict[str, Path], command: str) -> None:
    p = parts(built[command])
    types = ElementTree.fromstring(p["[Content_Types].xml"])
    defaults = {d.get("Extension").lower(): d.get("ContentType") for d in types.findall(f"{CT}Default")}
    overrides = {o.get("PartName").lstrip("/"): o.get("ContentType") for o in types.findall(f"{CT}Override")}
    for name in p:
        if name != "[Content_Types].xml":
            assert name in overrides or name.rsplit(".", 1)[-1].lower() in defaults, name
    assert set(overrides) <= set(p)
    assert overrides["xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    rels = ElementTree.fromstring(p["_rels/.rels"])
    ui = [r.get("Target") for r in rels.findall(f"{REL}Relationship") if r.get("Type") in UI_TYPES]
    assert ui == ["customUI/customUI.xml"] and "customUI/customUI.xml" in p
    # customUI parts are plain XML (MS-CUSTOMUI 2.1.2): the Default for .xml, never another type
    assert "customUI/customUI.xml" not in overrides and defaults["xml"] == "application/xml"
    # the VBA project: its content type and the workbook's relationship to it
    assert overrides["xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
    book_rels = ElementTree.fromstring(p["xl/_rels/workbook.xml.rels"]).findall(f"{REL}Relationship")
    assert [r.get("Target") for r in book_rels if r.get("Type") == REL_VBA] == ["vbaProject.bin"]
    for name, data in p.items():
        if name.endswith((".xml", ".rels")):
            ElementTree.fromstring(data)  # every XML part well-formed
    assert_sound_package(built[command])  # namespaces, mc:Ignorable, rels, content types, sheet list


def test_vba_project_is_xlwings_own_untouched(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(addin_build.template_path()) as zf:
        template = zf.read("xl/vbaProject.bin")
    for path in built.values():
        assert parts(path)["xl/vbaProject.bin"] == template


# -- the ribbon --------------------------------------------------------------------------


def test_the_ribbon_sources_are_the_built_commands() -> None:
    """One ribbon XML per command in the build's list, and no ribbon left out of it."""
    assert sorted(p.stem for p in (ROOT / "addin" / "ribbon").glob("*.xml")) == sorted(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_customui_part_validates_against_offices_schema(built: dict[str, Path], schemas, command: str) -> None:
    found = ui_parts(built[command])
    assert found, "no customUI part: Excel would show no button"
    for rel_type, name, data in found:
        namespace = namespace_of(ElementTree.fromstring(data))
        assert namespace in NAMESPACES_OF_REL[rel_type], (name, rel_type, namespace)
        errors = [f"{e.path}: {e.reason}" for e in schemas(namespace).iter_errors(data.decode("utf-8"))]
        assert not errors, f"{command}.xlam {name}:\n" + "\n".join(errors)
    assert found[0][2] == (ROOT / "addin" / "ribbon" / f"{command}.xml").read_bytes()  # our file, unchanged


def test_the_schema_check_catches_what_office_refuses(schemas) -> None:
    """The check can fail: mistakes Office rejects when it loads a ribbon are schema errors."""
    good = (ROOT / "addin" / "ribbon" / "kpi_compute.xml").read_text(encoding="utf-8")
    schema = schemas(NS_2009)
    assert schema.is_valid(good)
    for old, new in [('size="large"', 'size="huge"'),  # not an ST_Size
                     ('id="kpiComputeButton"', 'id="kpi compute"'),  # not an NCName
                     ('idQ="x:kpiTab"', 'idQ="y:kpiTab"'),  # unbound prefix
                     ('screentip="计算考核结果"', 'screentip=""'),  # ST_String has a minimum length of 1
                     ('<button ', '<button onClick="x" '),  # no such attribute
                     ('label="计算"', 'label="' + "长" * 1025 + '"')]:  # ST_String: at most 1024 characters
        assert old in good
        assert not schema.is_valid(good.replace(old, new)), new[:40]
    assert not schemas(NS_2006).is_valid(good)  # the 2009/07 part is not a 2006/01 document …
    assert schemas(NS_2006).is_valid(good.replace(NS_2009, NS_2006))  # … but written in 2006/01 it is one


def test_one_shared_tab_and_unique_ids(built: dict[str, Path]) -> None:
    ids: list[str] = []
    for command, path in built.items():
        root, namespaces = ribbon(path)
        cui = "{" + namespace_of(root) + "}"
        assert root.tag == f"{cui}customUI"
        assert namespaces.get("x") == "kpi.appraisal"
        (tab,) = root.iter(f"{cui}tab")
        assert tab.get("idQ") == "x:kpiTab" and tab.get("label") == "KPI 考核" and tab.get("id") is None
        (group,) = tab.iter(f"{cui}group")
        assert group.get("idQ") == "x:kpiGroup"
        buttons = list(group.iter(f"{cui}button"))
        assert buttons, command
        for button in buttons:
            assert button.get("label") and button.get("imageMso") and button.get("screentip") and button.get("supertip")
            assert re.search(r"[\u4e00-\u9fff]", button.get("label") + button.get("screentip") + button.get("supertip"))
        if command in LABELS:
            assert [b.get("label") for b in buttons] == [LABELS[command]]
        ids += [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) >= len(built)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_callback_exists_in_the_same_files_vba(built: dict[str, Path], schemas, command: str) -> None:
    root, _ = ribbon(built[command])
    modules = vba_modules(built[command])
    callback_attrs = delegate_attributes(schemas(namespace_of(root)))
    assert {"onAction", "getLabel", "onLoad"} <= callback_attrs
    callbacks = [(el.get(attr), attr) for el in root.iter() for attr in el.keys() if attr in callback_attrs]
    assert callbacks, "a button without onAction does nothing"
    for callback, attr in callbacks:
        # qualified with the add-in's own file name, so Excel cannot run a sibling add-in's RunMain
        book, sep, qualified = callback.rpartition("!")
        assert sep and book == f"'{built[command].name}'", callback
        module, proc = qualified.split(".")
        params = procedures(modules[module]).get(proc)
        assert params is not None, f"{callback}: no Sub {proc} in the VBA module {module}"
        first = "IRibbonUI" if attr == "onLoad" else "IRibbonControl"
        assert re.match(rf"\s*(ByVal\s+)?\w+\s+As\s+{first}\b", params, re.I), (callback, params)
        if attr == "onAction":  # a button's onAction takes the control only
            assert re.fullmatch(r"\s*\w+\s+As\s+IRibbonControl\s*", params, re.I), params


@pytest.mark.parametrize("command", COMMANDS)
def test_the_module_the_vba_imports_exists_and_has_main(built: dict[str, Path], command: str) -> None:
    run_main = vba_modules(built[command])["RibbonMyAddin"]
    # RunMain imports the module named after the add-in file: ThisWorkbook.Name without extension
    assert "ThisWorkbook.Name" in run_main and '".main()"' in run_main
    module_name = built[command].stem
    assert (ROOT / "addin" / f"{module_name}.py").is_file()
    assert (built[command].parent / f"{module_name}.py").is_file()  # copied beside the add-in
    assert callable(importlib.import_module(module_name).main)


# -- the config sheet the VBA reads -------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_config_sheet_is_the_one_getconfig_reads(built: dict[str, Path], command: str) -> None:
    xlwings_vba = vba_modules(built[command])["xlwings"]
    project = re.search(r'PROJECT_NAME As String = "(\w+)"', xlwings_vba).group(1)
    assert 'wb.Sheets(PROJECT_NAME & ".conf")' in xlwings_vba
    name, conf = config_sheet(built[command])
    assert name == f"{project}.conf"
    assert conf["ADD_WORKBOOK_TO_PYTHONPATH"] == "true"
    assert conf["USE UDF SERVER"] is False and conf["DEBUG UDFS"] is False and conf["SHOW CONSOLE"] is False
    assert "LICENSE_KEY" not in conf and "INTERPRETER_WIN" not in conf and "INTERPRETER_MAC" not in conf
    if command == "kpi_compute":
        assert conf["UDF MODULES"] == "kpi_udfs"
        assert importlib.import_module("kpi_udfs").KPI_TOTAL.__doc__
    else:
        assert "UDF MODULES" not in conf
    # every key is one the template's VBA asks GetConfig for
    asked = set(re.findall(r'GetConfig\("([A-Z_ ]+)"', xlwings_vba))
    assert set(conf) <= asked


def test_interpreter_can_be_pinned(tmp_path: Path) -> None:
    path = addin_build.build_addin("kpi_validate", tmp_path / "kpi_validate.xlam",
                                   interpreter_win=r"C:\Python312\python.exe", interpreter_mac="/usr/local/bin/python3")
    _, conf = config_sheet(path)
    assert conf["INTERPRETER_WIN"] == r"C:\Python312\python.exe"
    assert conf["INTERPRETER_MAC"] == "/usr/local/bin/python3"


def test_outputs_and_install_notes(built: dict[str, Path]) -> None:
    folder = next(iter(built.values())).parent
    names = {p.name for p in folder.iterdir()}
    assert {f"{m}.py" for m in addin_build.MODULES} <= names
    text = (folder / "INSTALL.txt").read_text(encoding="utf-8")
    assert "XLSTART" in text and "kpi addin install" in text and "xlwings runpython install" in text


def test_standalone_command(tmp_path: Path, capsys) -> None:
    assert addin_build.main(["build", "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "kpi_new_period.xlam").is_file()
    assert "kpi_compute.xlam" in capsys.readouterr().out


# -- packaging ----------------------------------------------------------------------------------


def test_addin_modules_are_installed_with_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert set(config["py-modules"]) == set(addin_build.MODULES)
    assert config["package-dir"][""] == "addin"
    for name in config["py-modules"]:
        assert (ROOT / "addin" / f"{name}.py").is_file()
    for package in config["packages"]:
        folder = config["package-dir"].get(package, package.replace(".", "/"))
        assert (ROOT / folder / "__init__.py").is_file(), package
    assert config["package-data"]["kpi_workbook.addin_ribbon"] == ["*.xml"]


# -- install ------------------------------------------------------------------------------------


def test_install_on_linux_explains_and_points_to_the_files(built: dict[str, Path]) -> None:
    folder = next(iter(built.values())).parent
    with pytest.raises(AddinInstallError) as caught:
        install_addins(folder, system="linux")
    message = caught.value.text("zh")
    assert "Windows" in message and "macOS" in message and "未复制任何文件" in message
    assert str(folder.resolve()) in message and "kpi_compute.xlam" in message
    assert "nothing was installed" in caught.value.text("en")
    with pytest.raises(AddinInstallError, match="kpi addin build"):
        install_addins(folder / "missing", system="linux")


def test_kpi_addin_install_on_linux_is_an_error_with_exit_2(tmp_path: Path, monkeypatch, capsys) -> None:
    """Nothing could be installed: exit 2 (a usage or environment error), the reason on stderr;
    it used to print the reason and exit 0, as if the add-ins were installed."""
    from kpi_workbook.commands.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["addin", "install"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "未复制任何文件" in err and "kpi addin build" in err
    assert list(tmp_path.iterdir()) == []  # nothing written here either


def test_install_on_windows_copies_only_the_addins(built: dict[str, Path], tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    folder = next(iter(built.values())).parent
    message = install_addins(folder, system="win32")
    xlstart = tmp_path / "Roaming" / "Microsoft" / "Excel" / "XLSTART"
    assert sorted(p.name for p in xlstart.iterdir()) == sorted(f"{c}.xlam" for c in COMMANDS)  # no .py: Excel opens all
    assert str(xlstart) in message


def test_install_without_a_build_builds_pinned_to_this_python(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    message = install_addins(system="darwin")
    startup = tmp_path / "home" / "Library" / "Group Containers" / "UBF8T346G9.Office" / "User Content" / "Startup" / "Excel"
    assert sorted(p.stem for p in startup.glob("*.xlam")) == sorted(COMMANDS), message
    _, conf = config_sheet(startup / "kpi_compute.xlam")
    assert conf["INTERPRETER_MAC"] == sys.executable
    scripts = tmp_path / "home" / "Library" / "Application Scripts" / "com.microsoft.Excel"
    assert list(scripts.glob("xlwings-*.applescript"))  # what `xlwings runpython install` does


def test_install_failures_are_errors_naming_the_cause(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("APPDATA", str(blocker))  # XLSTART cannot be created under a file
    with pytest.raises(AddinInstallError, match="kpi addin build"):
        install_addins(tmp_path / "nothing", system="win32")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AddinInstallError) as caught:
        install_addins(system="win32")
    assert "未完成" in caught.value.text("zh") or "无法写入" in caught.value.text("zh")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # the build went to a scratch folder
