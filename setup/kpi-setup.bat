@echo off
rem kpi-setup.bat - double-click to install the KPI appraisal workbook and its Excel add-ins.
rem It runs kpi-setup.ps1 beside it for this run only (no change to the machine's script policy);
rem arguments pass through, e.g.  kpi-setup.bat -Mirror tsinghua   or   kpi-setup.bat -SkipFunctions
chcp 65001 >nul
powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0kpi-setup.ps1" %*
set KPI_SETUP_EXIT=%ERRORLEVEL%
echo.
pause
exit /b %KPI_SETUP_EXIT%
