#Requires -Version 7.4
<#
.SYNOPSIS
    Builds the OnloadTools module folder out/OnloadTools/<version>/; with -Test runs every test ring, with -Package
    writes an installable OnloadTools.<version>.nupkg.

.DESCRIPTION
    1. dotnet publish src/OnloadTools -c <Configuration>: compiles the module and its AssembleModule target lays out
       out/OnloadTools/<version>/ (OnloadTools.psd1, OnloadTools.dll, CliWrap.dll, HdrHistogram.dll, format and type
       files, and the en-US help generated from docs/ by build/HelpGen). The same command works without pwsh.
    2. Verifies the folder: the version in OnloadTools.psd1 names the folder and matches the assembly, every file a
       user needs is there, System.Management.Automation.dll is not, Test-ModuleManifest passes, and the module
       imports and shows its help offline in a fresh pwsh (the pwsh running this script, however it was installed:
       dnf's pwsh, the PowerShell .NET tool, or `dotnet pwsh` from a tool manifest).
    3. With -Package: Compress-PSResource (PSResourceGet, shipped with PowerShell 7.4+) writes
       out/OnloadTools.<version>.nupkg, which Install-PSResource installs from any folder registered as a repository.
    4. With -Test: the xunit suite (tests/OnloadTools.Tests: units, parsers, statistics, sessions, doubles) and the
       Pester suite (tests/Pester: what an admin sees through the cmdlets, real tools included) against the folder
       just built. Pester is the version pinned in build/Pester/Pester.csproj; when that version is not installed it
       comes from NuGet (dotnet restore build/Pester), never from the PowerShell Gallery. The script closes with one
       line "N passed, N failed" that counts both suites, and fails when either fails.

.PARAMETER Configuration
    The dotnet build configuration of the module. Default: Release.

.PARAMETER Test
    Also run the xunit and the Pester suites.

.PARAMETER Package
    Also write out/OnloadTools.<version>.nupkg.

.PARAMETER Clean
    Remove out/ and every bin/ and obj/ folder of the repository's projects first.

.PARAMETER NoBuild
    Use the module folder already in out/ (verify, package and test it) instead of publishing it again.

.PARAMETER ExcludeTag
    With -Test: Pester tags to leave out (for example Podman, Docker or Fleet on a machine without them).

.PARAMETER PesterPath
    With -Test: run only these Pester files or folders (instead of all of tests/Pester). Without -XunitFilter, the
    xunit suite is left out: this is for working on one area.

.PARAMETER XunitFilter
    With -Test: run only the xunit tests this `dotnet test --filter` expression selects (for example
    "FullyQualifiedName~Reporting"). Without -PesterPath, the Pester suite is left out.

.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Test
    On a machine with only the .NET SDK: pwsh 7.6.9 from the repository's tool manifest builds the module and runs
    every test ring.

.EXAMPLE
    dotnet pwsh ./build.ps1 -NoBuild -Test -PesterPath tests/Pester/Report.Tests.ps1 -XunitFilter FullyQualifiedName~Reporting
    Runs one area's tests against the module folder already built.

.EXAMPLE
    ./build.ps1 -Package
    Builds the module and writes out/OnloadTools.<version>.nupkg for Install-PSResource (the version is ModuleVersion
    in OnloadTools.psd1).
#>
[CmdletBinding()]
param(
    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    [switch] $Test,

    [switch] $Package,

    [switch] $Clean,

    [switch] $NoBuild,

    [string[]] $ExcludeTag = @(),

    [string[]] $PesterPath = @(),

    [string] $XunitFilter
)

$ErrorActionPreference = 'Stop'
# Native commands report failure through $LASTEXITCODE, which is checked after each call.
$PSNativeCommandUseErrorActionPreference = $false

$root = $PSScriptRoot
$manifestSource = Join-Path $root 'OnloadTools.psd1'

function Invoke-Native {
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [switch] $AllowFailure
    )
    $shown = $ArgumentList | ForEach-Object { if ($_ -match '\n') { '<script>' } else { $_ } }
    Write-Host "> $FilePath $($shown -join ' ')" -ForegroundColor Cyan
    & $FilePath @ArgumentList | Out-Host
    $code = $LASTEXITCODE
    if ($code -ne 0 -and -not $AllowFailure) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $code."
    }
    $code
}

function Write-Step([string] $Text) {
    Write-Host ''
    Write-Host "==> $Text" -ForegroundColor Green
}

function Get-PwshCommand {
    # The command line that starts a fresh pwsh like the one running this script. Under the PowerShell .NET tool
    # (global or from a tool manifest) the process is `dotnet` running pwsh.dll, so ProcessPath is dotnet itself.
    $process = [System.Environment]::ProcessPath
    if ([System.IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        return @($process, (Join-Path $PSHOME 'pwsh.dll'))
    }
    @($process)
}

function Get-PesterModulePath {
    # The pinned Pester: installed already, or restored from NuGet into the global packages folder.
    $project = Join-Path $root 'build' 'Pester' 'Pester.csproj'
    $pinned = ([xml] (Get-Content -LiteralPath $project -Raw)).Project.PropertyGroup.PesterVersion | Where-Object { $_ } | Select-Object -First 1
    $installed = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -eq [version] $pinned } | Select-Object -First 1
    if ($installed) { return $installed.Path }

    Write-Host "Pester $pinned is not installed; restoring it from NuGet (build/Pester)."
    $null = Invoke-Native dotnet @('restore', $project, '-nologo', '-v', 'quiet')
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else {
        $line = & dotnet nuget locals global-packages --list | Select-Object -First 1
        ($line -replace '^\s*global-packages:\s*', '').Trim()
    }
    $psd1 = Join-Path $packages 'pester' $pinned 'tools' 'Pester.psd1'
    if (-not (Test-Path -LiteralPath $psd1)) { throw "Pester $pinned was restored but $psd1 does not exist." }
    $psd1
}

# A failed test with the first line of its message: the summary is what a CI log keeps.
function Format-FailedTest([string] $Name, [string] $Message) {
    $first = "$($Message.Trim() -split "`n" | Select-Object -First 1)".Trim()
    if ($first) { "${Name}: $first" } else { $Name }
}

function Read-TrxCounts([string] $Path) {
    $trx = [xml] (Get-Content -LiteralPath $Path -Raw)
    $c = $trx.TestRun.ResultSummary.Counters
    $failedNames = @($trx.TestRun.Results.UnitTestResult | Where-Object outcome -eq 'Failed' |
        ForEach-Object { Format-FailedTest $_.testName "$($_.Output.ErrorInfo.Message)" })
    [pscustomobject]@{
        Passed  = [int] $c.passed
        Failed  = [int] $c.failed + [int] $c.error + [int] $c.timeout + [int] $c.aborted
        Skipped = [int] $c.notExecuted
        FailedNames = $failedNames
    }
}

if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
    throw 'dotnet was not found on PATH. Install the .NET 8 SDK (and the .NET 10 SDK for the tests), for example: sudo dnf install dotnet-sdk-8.0'
}

$manifest = Import-PowerShellDataFile -LiteralPath $manifestSource
$version = [string] $manifest.ModuleVersion
$moduleDir = Join-Path $root 'out' 'OnloadTools' $version
$started = [System.Diagnostics.Stopwatch]::StartNew()

# ---------------------------------------------------------------- clean
if ($Clean) {
    Write-Step 'Clean'
    $stale = @(Join-Path $root 'out')
    foreach ($project in 'src/OnloadTools', 'build/HelpGen', 'build/Pester', 'tests/OnloadTools.Tests', 'bench/OnloadTools.Bench') {
        $stale += Join-Path $root $project 'bin'
        $stale += Join-Path $root $project 'obj'
    }
    foreach ($path in $stale) {
        if (Test-Path -LiteralPath $path) {
            Write-Host "Removing $path"
            Remove-Item -LiteralPath $path -Recurse -Force
        }
    }
}

# ---------------------------------------------------------------- build and assemble
if (-not $NoBuild) {
    Write-Step "Publish src/OnloadTools ($Configuration) and assemble out/OnloadTools/$version"
    $null = Invoke-Native dotnet @('publish', (Join-Path $root 'src' 'OnloadTools'), '-c', $Configuration, '-nologo')
}

# ---------------------------------------------------------------- verify the module folder
Write-Step "Verify $moduleDir"
if (-not (Test-Path -LiteralPath $moduleDir -PathType Container)) {
    $built = @(Get-ChildItem -LiteralPath (Join-Path $root 'out' 'OnloadTools') -Directory -ErrorAction SilentlyContinue |
        ForEach-Object Name)
    throw "The module folder '$moduleDir' was not assembled; the build produced: $($built -join ', ')."
}

$required = @('OnloadTools.psd1', 'OnloadTools.dll', 'CliWrap.dll', 'HdrHistogram.dll', 'en-US/OnloadTools.dll-Help.xml', 'en-US/about_OnloadTools.help.txt')
$required += @($manifest.FormatsToProcess) + @($manifest.TypesToProcess)
$missing = @($required | Where-Object { -not (Test-Path -LiteralPath (Join-Path $moduleDir $_) -PathType Leaf) })
if ($missing.Count -gt 0) {
    throw "The module folder lacks: $($missing -join ', ')"
}

$forbidden = @(Get-ChildItem -LiteralPath $moduleDir -Recurse -File |
    Where-Object { $_.Name -like 'System.Management.Automation*' -or $_.Name -like '*.pdb' -or $_.Name -like '*.deps.json' })
if ($forbidden.Count -gt 0) {
    throw "The module folder must not ship: $(($forbidden | ForEach-Object FullName) -join ', ')"
}

$assemblyVersion = [System.Reflection.AssemblyName]::GetAssemblyName((Join-Path $moduleDir 'OnloadTools.dll')).Version
$assemblyVersionText = '{0}.{1}.{2}' -f $assemblyVersion.Major, $assemblyVersion.Minor, $assemblyVersion.Build
if ($assemblyVersionText -ne $version) {
    throw "OnloadTools.dll has version $assemblyVersionText but OnloadTools.psd1 says $version."
}

$help = [xml] (Get-Content -LiteralPath (Join-Path $moduleDir 'en-US' 'OnloadTools.dll-Help.xml') -Raw)
$helpCount = @($help.helpItems.command).Count

$tested = Test-ModuleManifest -Path (Join-Path $moduleDir 'OnloadTools.psd1')
if ($tested.Version -ne [version] $version) {
    throw "Test-ModuleManifest read version $($tested.Version), expected $version."
}

# Import it in a fresh pwsh (so this session keeps no copy of the dll) and read help offline.
$psd1 = Join-Path $moduleDir 'OnloadTools.psd1'
$probe = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$($psd1.Replace("'", "''"))'
`$m = Get-Module OnloadTools
if (`$m.Version -ne [version]'$version') { throw "imported version `$(`$m.Version)" }
if (@((Get-Help Measure-NetperfLatency -Examples).examples.example).Count -lt 1) { throw 'Get-Help Measure-NetperfLatency shows no examples: the en-US help was not found.' }
if (-not (Get-Help about_OnloadTools)) { throw 'Get-Help about_OnloadTools found nothing.' }
'{0} cmdlet(s) exported' -f `$m.ExportedCmdlets.Count
"@
$pwsh = @(Get-PwshCommand)
$null = Invoke-Native $pwsh[0] (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $probe))

Write-Host "Module OnloadTools $version assembled in $moduleDir ($helpCount cmdlet help topic(s))."

# ---------------------------------------------------------------- package
if ($Package) {
    Write-Step "Package out/OnloadTools.$version.nupkg"
    $nupkg = Join-Path $root 'out' "OnloadTools.$version.nupkg"
    Remove-Item -LiteralPath $nupkg -ErrorAction Ignore
    Compress-PSResource -Path $moduleDir -DestinationPath (Join-Path $root 'out')
    if (-not (Test-Path -LiteralPath $nupkg -PathType Leaf)) { throw "Compress-PSResource did not write $nupkg." }
    Write-Host "Wrote $nupkg ($((Get-Item -LiteralPath $nupkg).Length) bytes)."
}

# ---------------------------------------------------------------- tests
if ($Test) {
    $results = Join-Path $root 'out' 'TestResults'
    Remove-Item -LiteralPath $results -Recurse -Force -ErrorAction Ignore
    $null = New-Item -ItemType Directory -Path $results

    # From bash (pwsh -File), 'a,b' arrives as one string: split it as PowerShell would split a,b.
    $PesterPath = @($PesterPath | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
    # Both rings, unless a part of one was asked for (-PesterPath, -XunitFilter): then only what was asked.
    $partial = $PesterPath.Count -gt 0 -or $XunitFilter
    $runXunit = -not $partial -or $XunitFilter
    $runPester = -not $partial -or $PesterPath.Count -gt 0
    $xunitWatch = [System.Diagnostics.Stopwatch]::StartNew()
    $xunit = [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0; FailedNames = @() }
    if ($runXunit) {
        Write-Step 'Ring 1 (units, parsers, statistics, sessions, doubles): dotnet test tests/OnloadTools.Tests'
        # The module folder was just assembled; the test project references it instead of publishing it again.
        $filter = @(if ($XunitFilter) { '--filter', $XunitFilter })
        $null = Invoke-Native dotnet (@('test', (Join-Path $root 'tests' 'OnloadTools.Tests'), '-c', $Configuration, '-nologo',
            '-p:SkipModuleAssembly=true', '--results-directory', $results, '--logger', 'trx;LogFileName=xunit.trx',
            '--logger', 'console;verbosity=minimal') + $filter) -AllowFailure
        $trx = Join-Path $results 'xunit.trx'
        $xunit = if (Test-Path -LiteralPath $trx) { Read-TrxCounts $trx } else {
            [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0; FailedNames = @('dotnet test wrote no results (build failure?)') }
        }
    }
    $xunitWatch.Stop()

    $pesterWatch = [System.Diagnostics.Stopwatch]::StartNew()
    $pester = [pscustomobject]@{ PassedCount = 0; FailedCount = 0; FailedBlocksCount = 0; FailedContainersCount = 0; SkippedCount = 0
        Failed = @(); FailedBlocks = @(); FailedContainers = @() }
    if ($runPester) {
        Write-Step "Ring 2 (what an admin sees, real tools included): Invoke-Pester $(if ($PesterPath.Count) { $PesterPath -join ', ' } else { 'tests/Pester' })"
        Import-Module (Get-PesterModulePath) -Force
        $config = New-PesterConfiguration
        $config.Run.Path = if ($PesterPath.Count -gt 0) { @($PesterPath | ForEach-Object { (Resolve-Path -LiteralPath $_).Path }) } else { Join-Path $root 'tests' 'Pester' }
        $config.Run.PassThru = $true
        $config.Output.Verbosity = 'Detailed'
        $config.Filter.ExcludeTag = $ExcludeTag
        # No NUnit XML: nothing reads it, and a failure message with a terminal escape (0x1B) made Pester's XML export
        # throw after the run, which once left this script counting no Pester test at all and exiting 0.
        $config.TestResult.Enabled = $false
        $pesterError = $null
        try {
            $pester = Invoke-Pester -Configuration $config
        } catch {
            $pesterError = $_
        }
    }
    $pesterWatch.Stop()
    # A file that fails before any of its tests ran counts as a failure too.
    $pesterFailed = $pester.FailedCount + $pester.FailedBlocksCount + $pester.FailedContainersCount
    # Pester's own verdict is the last word: a run that threw, or did not say Passed, fails even when it counted nothing.
    $pesterBroken = $runPester -and $pesterFailed -eq 0 -and ($pesterError -or -not $pester.PSObject.Properties['Result'] -or $pester.Result -ne 'Passed')
    if ($pesterBroken) { $pesterFailed = 1 }

    Write-Host ''
    Write-Host ('xunit:  {0} passed, {1} failed, {2} skipped ({3:n0} s)' -f $xunit.Passed, $xunit.Failed, $xunit.Skipped, $xunitWatch.Elapsed.TotalSeconds)
    Write-Host ('Pester: {0} passed, {1} failed, {2} skipped ({3:n0} s)' -f $pester.PassedCount, $pesterFailed, $pester.SkippedCount, $pesterWatch.Elapsed.TotalSeconds)
    $failedNames = @($xunit.FailedNames) +
        @($pester.Failed | ForEach-Object { Format-FailedTest $_.ExpandedPath "$($_.ErrorRecord | Select-Object -First 1)" }) +
        @($pester.FailedBlocks | ForEach-Object { "$($_.ExpandedPath) (block setup)" }) +
        @($pester.FailedContainers | ForEach-Object { "$($_.Item) (file)" }) +
        @(if ($pesterBroken) { "Invoke-Pester did not finish with Passed (result: $($pester.Result)): $(("$pesterError" -split "`n")[0])" })
    if ($failedNames.Count -gt 0) {
        Write-Host 'failed tests:'
        $failedNames | ForEach-Object { Write-Host "  $_" }
    }
    $passed = $xunit.Passed + $pester.PassedCount
    $failed = $xunit.Failed + $pesterFailed
    Write-Host ('Build and tests took {0:n0} s.' -f $started.Elapsed.TotalSeconds)
    # The closing line counts both rings (CI reads it).
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0) { exit 1 }
    exit 0
}

Write-Step 'Done'
