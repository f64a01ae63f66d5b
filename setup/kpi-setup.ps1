<#
  kpi-setup.ps1 - install the KPI appraisal workbook and its Excel add-ins for one Windows user,
  without a terminal: double-click kpi-setup.bat beside this file (it runs this script).

  What it does, each step printed in Chinese:
    1. finds Python 3.10 or later (the py launcher, else python.exe; never the Microsoft Store alias);
    2. makes a private Python environment in %LOCALAPPDATA%\kpi-appraisal\venv (nothing global changes);
    3. installs the wheel (kpi_appraisal_workbook-*.whl) lying beside this script, and its
       dependencies from PyPI or from the mirror given with -Mirror (tsinghua, aliyun, ustc or a URL);
    4. refuses to go on while Excel is open (add-ins in use cannot be replaced);
    5. runs `kpi addin install` of that environment: builds the add-ins pinned to its Python and
       copies them into Excel's startup folder (XLSTART);
    6. removes the "downloaded from the internet" mark from the add-ins (Unblock-File);
    7. imports the worksheet functions (KPI_TOTAL ...) into kpi_compute.xlam through Excel's own
       automation, as the VBA editor's ImportPythonUDFsToAddin would: it allows "trust access to
       the VBA project object model" for this user for the moment it takes, then puts the setting
       back as it was. -SkipFunctions leaves this step out (the add-in's buttons work without it).
  Run it again to update or repair: the environment is reused, the add-ins are replaced.
#>
[CmdletBinding()]
param(
    [string]$Wheel = "",
    [string]$Mirror = "",
    [switch]$SkipFunctions
)

$ErrorActionPreference = "Stop"
$MinPython = [version]"3.10"
$Home_ = Join-Path $env:LOCALAPPDATA "kpi-appraisal"
$Venv = Join-Path $Home_ "venv"
$Mirrors = @{
    "tsinghua" = "https://pypi.tuna.tsinghua.edu.cn/simple"
    "aliyun"   = "https://mirrors.aliyun.com/pypi/simple/"
    "ustc"     = "https://pypi.mirrors.ustc.edu.cn/simple/"
}

function Say([string]$text) { Write-Host $text }
function Fail([string]$text) {
    Write-Host ""
    Write-Host "安装未完成：$text" -ForegroundColor Red
    Write-Host "排查方法见本脚本旁的 install-windows.md（“故障排查”一节）。"
    exit 1
}

function Find-Python {
    # the py launcher (python.org's installer puts it in C:\Windows) knows every installed Python
    $py = Get-Command py.exe -ErrorAction SilentlyContinue
    if ($py) {
        $exe = & $py.Source -3 -c "import sys; print(sys.executable)" 2>$null
        if ($LASTEXITCODE -eq 0 -and $exe) { return $exe.Trim() }
    }
    # python.exe on PATH, except the Microsoft Store alias under WindowsApps, which only opens the Store
    foreach ($cmd in @(Get-Command python.exe -All -ErrorAction SilentlyContinue)) {
        if ($cmd.Source -like "*\WindowsApps\*") { continue }
        $exe = & $cmd.Source -c "import sys; print(sys.executable)" 2>$null
        if ($LASTEXITCODE -eq 0 -and $exe) { return $exe.Trim() }
    }
    return $null
}

# 0. what we install from: the folder of this script, unblocked as a whole (a downloaded zip marks every file)
$Here = $PSScriptRoot
Get-ChildItem -Path $Here -Recurse -File | Unblock-File -ErrorAction SilentlyContinue
if (-not $Wheel) {
    $found = Get-ChildItem -Path $Here -Filter "kpi_appraisal_workbook-*.whl" | Sort-Object LastWriteTime -Descending | Select-Object -First 1
    if (-not $found) { Fail "在 $Here 中找不到 kpi_appraisal_workbook-*.whl。请把 .whl 文件放在本脚本旁边，或用 -Wheel 指定它的路径。" }
    $Wheel = $found.FullName
}
if (-not (Test-Path $Wheel)) { Fail "找不到文件 $Wheel" }
$Index = @()
if ($Mirror) {
    $url = $Mirrors[$Mirror.ToLower()]
    if (-not $url) { $url = $Mirror }
    $Index = @("--index-url", $url)
    Say "使用镜像 $url"
}

# 1. Python
Say "1/6 查找 Python …"
$Python = Find-Python
if (-not $Python) {
    Fail ("没有找到 Python。请从 https://www.python.org/downloads/windows/ 安装 Python 3.10 或更高版本" +
          "（安装时勾选 “Add python.exe to PATH”），然后再次双击 kpi-setup.bat。" +
          "“设置 → 应用 → 高级应用设置 → 应用执行别名”中的 python.exe / python3.exe 别名只会打开应用商店，可以关闭。")
}
$version = [version](& $Python -c "import sys; print('%d.%d' % sys.version_info[:2])")
if ($version -lt $MinPython) { Fail "找到的 Python 是 $version（$Python），需要 3.10 或更高版本。" }
Say "    $Python（$version）"

# 2. the private environment
Say "2/6 准备专用的 Python 环境 $Venv …"
$VenvPython = Join-Path $Venv "Scripts\python.exe"
if (-not (Test-Path $VenvPython)) {
    & $Python -m venv $Venv
    if ($LASTEXITCODE -ne 0) { Fail "无法创建 $Venv" }
}

# 3. the package
Say "3/6 安装本项目及其依赖（首次约需几分钟）…"
& $VenvPython -m pip install --upgrade --disable-pip-version-check @Index $Wheel
if ($LASTEXITCODE -ne 0) {
    Fail "pip 安装失败。网络较慢或无法访问 PyPI 时，可加镜像再试：kpi-setup.bat -Mirror tsinghua（或 aliyun、ustc）。"
}
$Kpi = Join-Path $Venv "Scripts\kpi.exe"

# 4. Excel must be closed: it locks the add-ins it has open
Say "4/6 检查 Excel 是否已关闭 …"
while (Get-Process -Name EXCEL -ErrorAction SilentlyContinue) {
    Say "    Excel 正在运行。请保存并关闭所有 Excel 窗口，然后按回车继续（按 Ctrl+C 放弃）。"
    [void](Read-Host)
}

# 5. the add-ins, pinned to the private environment's Python
Say "5/6 安装 Excel 加载项 …"
& $Kpi addin install
if ($LASTEXITCODE -ne 0) { Fail "kpi addin install 未完成（见上面的提示）。" }
$Startup = Join-Path $env:APPDATA "Microsoft\Excel\XLSTART"
Get-ChildItem -Path $Startup -Filter "kpi_*.xlam" | Unblock-File

# 6. the worksheet functions, imported by Excel itself (no VBA editor)
if ($SkipFunctions) {
    Say "6/6 已跳过工作表函数的导入（-SkipFunctions）。"
} else {
    Say "6/6 导入工作表函数（KPI_TOTAL 等）…"
    $Security = $null
    $excelVersion = $null
    try {
        $excel = New-Object -ComObject Excel.Application
        $excelVersion = $excel.Version
        $excel.Quit()
        [void][Runtime.InteropServices.Marshal]::ReleaseComObject($excel)
    } catch {
        Fail "无法启动 Excel（$($_.Exception.Message)）。加载项已安装；工作表函数可稍后按 install-windows.md 手动导入。"
    }
    $Security = "HKCU:\Software\Microsoft\Office\$excelVersion\Excel\Security"
    if (-not (Test-Path $Security)) { New-Item -Path $Security -Force | Out-Null }
    $before = (Get-ItemProperty -Path $Security -Name AccessVBOM -ErrorAction SilentlyContinue).AccessVBOM
    Set-ItemProperty -Path $Security -Name AccessVBOM -Value 1 -Type DWord
    $excel = $null
    try {
        $excel = New-Object -ComObject Excel.Application
        $excel.DisplayAlerts = $false
        $book = $excel.Workbooks.Open((Join-Path $Startup "kpi_compute.xlam"))
        [void]$excel.Run("'kpi_compute.xlam'!ImportPythonUDFsToAddin")
        $book.Save()
        $book.Close($false)
        Say "    已导入。"
    } catch {
        Say "    未能自动导入工作表函数（$($_.Exception.Message)）。按钮仍可使用；函数可按 install-windows.md 手动导入。"
    } finally {
        if ($excel) { $excel.Quit(); [void][Runtime.InteropServices.Marshal]::ReleaseComObject($excel) }
        if ($null -eq $before) { Remove-ItemProperty -Path $Security -Name AccessVBOM -ErrorAction SilentlyContinue }
        else { Set-ItemProperty -Path $Security -Name AccessVBOM -Value $before -Type DWord }
    }
}

Say ""
Say "安装完成。打开 Excel 和考核工作簿，使用「KPI 考核」选项卡。"
Say "第一次打开时若出现黄色“安全警告：宏已被禁用”，点“启用内容”。"
Say "命令行程序在 $Kpi（例如：& `"$Kpi`" compute 考核.xlsx）。"
exit 0
