@echo off
rem `lifeboat` of the installed app: the bundled CLI (app.asar\out\cli\lifeboat.mjs) run by the
rem app's own Electron as plain Node, with the SQLite module built for that Electron.
rem Installed as <install folder>\resources\bin\lifeboat.cmd: add that folder to PATH.
setlocal
set "ELECTRON_RUN_AS_NODE=1"
if not defined LIFEBOAT_NATIVE_BINDING set "LIFEBOAT_NATIVE_BINDING=%~dp0..\native\better_sqlite3.node"
"%~dp0..\..\Lifeboat.exe" "%~dp0..\app.asar\out\cli\lifeboat.mjs" %*
exit /b %ERRORLEVEL%
