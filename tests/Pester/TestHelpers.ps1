# What several Pester files share (dot-source this file in a BeforeAll): how to start a fresh pwsh like the one running
# the tests, and where the built module is. Each is the one home of its fact.

# A fresh pwsh: under the PowerShell .NET tool run as `dotnet pwsh` the process is dotnet running pwsh.dll;
# under a regular pwsh (dnf's, the tarball's, a .NET tool's apphost) the process is pwsh itself.

# The executable and the arguments that come before pwsh's own: FilePath, ArgumentList (a string[], empty for a
# regular pwsh; never unrolled into a string, which made the first character of the path the program to start).
function Get-FreshPwsh {
    $process = [Environment]::ProcessPath
    [string[]] $prefix = @()
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { $prefix = @(Join-Path $PSHOME 'pwsh.dll') }
    [pscustomobject]@{ FilePath = $process; ArgumentList = $prefix }
}

# A ProcessStartInfo that starts a fresh pwsh with $ArgumentList (-NoProfile, -Command …) after the prefix above.
function New-FreshPwshStartInfo([string[]] $ArgumentList) {
    $pwsh = Get-FreshPwsh
    $psi = [System.Diagnostics.ProcessStartInfo]::new($pwsh.FilePath)
    foreach ($a in @($pwsh.ArgumentList) + @($ArgumentList)) { $psi.ArgumentList.Add($a) }
    $psi
}

# The manifest of the module folder build.ps1 assembled, out/OnloadTools/<version>/OnloadTools.psd1, with the version
# read from the repository's OnloadTools.psd1: ModuleVersion there is the one place the version is written, so a test
# file never names it (bumping it once broke every file that did).
function Get-OnloadToolsManifest {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '..' '..')).Path
    $version = (Import-PowerShellDataFile -LiteralPath (Join-Path $repo 'OnloadTools.psd1')).ModuleVersion
    $manifest = Join-Path $repo 'out' 'OnloadTools' $version 'OnloadTools.psd1'
    if (-not (Test-Path -LiteralPath $manifest -PathType Leaf)) {
        throw "The module OnloadTools $version is not built ($manifest is missing): run ./build.ps1 first."
    }
    $manifest
}

# The tuned daemon, which Tuning.Tests.ps1 and Readiness.Tests.ps1 use for real: the active profile (null when none is
# active or the daemon does not answer), and starting dbus and tuned when they are not running (true once it answers).
function Get-ActiveTuned {
    $line = & tuned-adm active 2>$null
    if ($line -match '^Current active profile: (.+)$') { $Matches[1].Trim() } else { $null }
}

# Whether the daemon answers. (Its output is several lines: -notmatch on them would filter the lines, and the
# 'preset profile' line of a stopped daemon would read as an answer.)
function Test-TunedAnswers { -not ((& tuned-adm active 2>&1) -join "`n" -match 'Cannot talk') }
function Start-TunedIfAbsent {
    if (-not (Get-Command tuned-adm -ErrorAction Ignore)) { return $false }
    if (Test-TunedAnswers) { return $true }
    $comms = Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' |
        ForEach-Object { try { (Get-Content -Raw "$($_.FullName)/comm" -ErrorAction Stop).Trim() } catch { } }
    if ($comms -notcontains 'dbus-daemon') {
        New-Item -ItemType Directory -Force /run/dbus | Out-Null
        Remove-Item /run/dbus/pid -ErrorAction Ignore
        & sh -c 'dbus-daemon --system --fork </dev/null >/dev/null 2>&1'
    }
    # Detached from this process's pipes: a daemon left writing to a pipe that pwsh has closed dies of SIGPIPE.
    if ($comms -notcontains 'tuned') { & sh -c 'tuned -d </dev/null >/dev/null 2>&1' }
    foreach ($i in 1..100) {
        if (Test-TunedAnswers) { return $true }
        Start-Sleep -Milliseconds 300
    }
    $false
}
