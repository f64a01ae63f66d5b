"""The `kpi` command line: new, fill, validate, compute, next-period, demo, addin.

Exit codes: 0 ok, 1 problems found in the data or scheme, 2 usage or file error, 130
interrupted (Ctrl-C). No traceback reaches the user; an unexpected error is logged to a file
whose path is shown (set KPI_DEBUG=1 to see it on the terminal).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

OK, PROBLEMS, USAGE = 0, 1, 2
LINE = 600  # characters of one problem line on the terminal
INTERRUPTED = 130  # the shell's code for Ctrl-C


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kpi", description="电商运营 KPI 考核工作簿 / KPI appraisal workbook for e-commerce operations")
    p.add_argument("--lang", choices=["zh", "en"], default=None, help="界面语言 / language of labels and messages (default: the workbook's, else zh)")
    # --lang is accepted before or after the command (kpi --lang en new … / kpi new --lang en …)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS, help="界面语言 / language")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("new", parents=[common], help="生成本期空白工作簿 / create the period's blank workbook")
    s.add_argument("--period", required=True, help="考核周期，如 2026-Q4、2026-11、2026-H2、2026")
    s.add_argument("--roster", help="名单 .csv 或 .xlsx（工号、姓名、团队、品类、商品类型）")
    s.add_argument("-o", "--output", required=True, help="输出 .xlsx 文件")

    s = sub.add_parser("fill", parents=[common], help="从 BI 导出导入数据 / import metrics from a BI export")
    s.add_argument("workbook")
    s.add_argument("data", help=".csv 或 .xlsx，列名为字段编号或中英文标题")
    s.add_argument("-o", "--output", help="写入新文件（默认原地写入）")

    s = sub.add_parser("validate", parents=[common], help="校验数据，列出全部问题 / list every problem (exit 1 if any)")
    s.add_argument("workbook")

    s = sub.add_parser("compute", parents=[common], help="计算得分并写入结果表 / score and write the result sheets")
    s.add_argument("workbook")
    s.add_argument("-o", "--output", help="写入新文件（默认原地写入）")
    s.add_argument("--csv", help="另存得分 CSV：employee_id, <指标>.points…, total, grade, flags")

    s = sub.add_parser("next-period", parents=[common], help="生成下期工作簿 / next period's workbook")
    s.add_argument("workbook")
    s.add_argument("-o", "--output", help="输出文件（默认与本期文件同目录）")

    s = sub.add_parser("demo", parents=[common], help="用示例数据生成并计算工作簿 / build and compute the sample workbook")
    s.add_argument("-o", "--output-dir", default="demo_output", help="输出目录（默认 demo_output）")

    s = sub.add_parser("addin", parents=[common], help="Excel 加载项 / the Excel add-in")
    addin = s.add_subparsers(dest="addin_command", required=True, metavar="ACTION")
    b = addin.add_parser("build", parents=[common], help="生成加载项文件 / build the add-in files")
    b.add_argument("-o", "--output-dir", default="addin_build")
    i = addin.add_parser("install", parents=[common], help="安装到 Excel 启动目录 / install into Excel's startup folder")
    i.add_argument("--from", dest="build_dir", default=None, help="已生成的加载项目录")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed usage or help
        return OK if exc.code == 0 else USAGE
    lang = args.lang or "zh"
    try:
        return _run(args)
    except KeyboardInterrupt:  # Ctrl-C: saves are atomic, so nothing is left half-written
        print("已中断：正在写入的文件保持原样 / interrupted: the file being written was left as it was",
              file=sys.stderr)
        return INTERRUPTED
    except Exception as exc:  # the user's boundary: no traceback
        from kpi_engine.problems import clip

        code, message = _explain(exc, lang, getattr(args, "workbook", None))
        print("\n".join(clip(line, 2000) for line in message.splitlines()), file=sys.stderr)
        return code


def _explain(exc: Exception, lang: str, workbook: str | None = None) -> tuple[int, str]:
    """(exit code, message) for an exception; ``workbook`` is the file the command was given."""
    from kpi_engine import InputError

    from ..pipeline import SchemeProblems, WorkbookError, user_error

    zh = lang == "zh"
    if isinstance(exc, SchemeProblems):
        lines = [("指标配置有误：" if zh else "The scheme sheet has errors:")] + [f"  {p.text()}" for p in exc.problems]
        return PROBLEMS, "\n".join(lines)
    error = user_error(exc, workbook)
    if error is not None:
        text = error.text(lang)
        if isinstance(exc, (WorkbookError, InputError)) and workbook and Path(workbook).name not in text:
            text = f"{workbook}：{text}" if zh else f"{workbook}: {text}"  # which file, when several are run
        return USAGE, f"错误：{text}" if zh else f"error: {text}"
    from ..ooxml import error_log

    try:
        log = error_log(traceback.format_exc())
    except OSError:
        log = None
    if os.environ.get("KPI_DEBUG"):
        traceback.print_exc()
    where = (f"详细信息已写入 {log}" if zh else f"Details in {log}") if log else \
        ("详细信息无法写入日志（设置 KPI_DEBUG=1 可在终端查看）" if zh else "no log could be written (set KPI_DEBUG=1)")
    return USAGE, (f"内部错误：{type(exc).__name__}: {exc}。{where}" if zh
                   else f"internal error: {type(exc).__name__}: {exc}. {where}")


def _progress(enabled: bool):
    """A tqdm bar on the terminal (only when stderr is a terminal)."""
    from tqdm import tqdm

    bar = tqdm(total=100, disable=not (enabled and sys.stderr.isatty()), file=sys.stderr,
               bar_format="{l_bar}{bar}| {elapsed}")

    def update(message: str, fraction: float) -> None:
        bar.set_description_str(message)
        bar.n = int(fraction * 100)
        bar.refresh()
        if fraction >= 1:
            bar.close()

    return update


def _print_problems(problems, limit: int = 200) -> None:
    from kpi_engine.problems import clip

    for p in problems[:limit]:
        who = f"  (工号/ID {clip(p.employee_id)})" if not p.cell and p.employee_id else ""  # no cell: say whose
        print(f"[{p.severity}] {clip(p.text(), LINE)}{who}  (值/value: {_shown(p.value)})")
    if len(problems) > limit:
        print(f"… 另有 {len(problems) - limit} 个问题 / {len(problems) - limit} more")


def _book_lang(path: str) -> str | None:
    """The language the workbook was made in (its hidden meta sheet), for our messages."""
    try:
        from ..pipeline import read_meta
        from .files import open_source

        with open_source(path) as source:
            value = read_meta(source).get("lang", "")
    except Exception:  # an unreadable file is reported by the command itself
        return None
    return "en" if value.lower().startswith("en") else ("zh" if value else None)


def _shown(value) -> str:
    from kpi_engine.problems import clip

    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return clip(value)


def _run(args: argparse.Namespace) -> int:
    cmd = args.command
    lang = args.lang
    if lang is None and cmd in ("fill", "validate", "next-period") and Path(args.workbook).is_file():
        lang = _book_lang(args.workbook)
    zh = (lang or "zh") == "zh"
    if cmd == "new":
        from ..pipeline.roster import read_roster
        from ..sheets.book import write_new

        roster = read_roster(args.roster) if args.roster else None
        path = write_new(args.output, args.period, roster=roster, lang=lang or "zh")
        print(f"已生成 {path}" if zh else f"created {path}")
        return OK
    if cmd == "fill":
        from .fill import fill_workbook

        report = fill_workbook(args.workbook, args.data, args.output, lang=lang or "zh")
        print(report.text(lang or "zh"))
        return PROBLEMS if report.unknown_ids else OK
    if cmd == "validate":
        from .files import validate_file

        problems = validate_file(args.workbook, lang=lang)
        _print_problems(problems)
        errors = [p for p in problems if p.severity == "error"]
        print(f"共 {len(errors)} 个错误，{len(problems) - len(errors)} 个提示" if zh
               else f"{len(errors)} errors, {len(problems) - len(errors)} warnings")
        return PROBLEMS if errors else OK
    if cmd == "compute":
        from .files import compute_file

        outcome = compute_file(args.workbook, args.output, csv_path=args.csv, lang=lang, progress=_progress(True))
        print(outcome.summary.text(outcome.lang))
        target = args.output or args.workbook
        print(f"结果已写入 {target}" if outcome.lang == "zh" else f"results written to {target}")
        return PROBLEMS if outcome.summary.errors else OK
    if cmd == "next-period":
        from .files import next_period_file

        path = next_period_file(args.workbook, args.output, lang=lang)
        print(f"下期工作簿已生成：{path}" if zh else f"next period's workbook: {path}")
        return OK
    if cmd == "demo":
        from .demo import run_demo

        return run_demo(Path(args.output_dir), lang=lang or "zh")
    if cmd == "addin":
        from .addin_build import build_addins, install_addins

        if args.addin_command == "build":
            paths = build_addins(Path(args.output_dir))
            print(("已生成加载项：" if zh else "built: ") + ", ".join(str(p) for p in paths))
            return OK
        print(install_addins(Path(args.build_dir) if args.build_dir else None))
        return OK
    return USAGE  # pragma: no cover - argparse requires a command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
