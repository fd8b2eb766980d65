#Requires -Version 7.4
<#
.SYNOPSIS
    Builds the OnloadTools module folder out/OnloadTools/<version>/ and, with -Test, runs the test suites.

.DESCRIPTION
    1. dotnet publish src/OnloadTools -c <Configuration>: compiles the module and its AssembleModule target lays out
       out/OnloadTools/<version>/ (OnloadTools.psd1, OnloadTools.dll, CliWrap.dll, HdrHistogram.dll, format and type files, and the
       en-US help generated from docs/ by build/HelpGen). The same command works without pwsh.
    2. Verifies the folder: the version in OnloadTools.psd1 names the folder and matches the assembly, every file a
       user needs is there, System.Management.Automation.dll is not, Test-ModuleManifest passes, and the module
       imports and shows its help offline in a fresh pwsh.
    3. With -Test: dotnet test tests/OnloadTools.Tests, then Invoke-Pester tests/Pester (Pester 5.5 or later is
       installed for the current user when missing). Any failure fails the build.

.PARAMETER Configuration
    The dotnet build configuration of the module. Default: Release.

.PARAMETER Test
    Also run the xunit suite and the Pester tests.

.PARAMETER Clean
    Remove out/ and every bin/ and obj/ folder of the repository's projects first.

.EXAMPLE
    ./build.ps1
    Builds out/OnloadTools/0.1.0/; then: Import-Module ./out/OnloadTools/0.1.0/OnloadTools.psd1

.EXAMPLE
    ./build.ps1 -Clean -Test
    Builds from scratch and runs every test.
#>
[CmdletBinding()]
param(
    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    [switch] $Test,

    [switch] $Clean
)

$ErrorActionPreference = 'Stop'
# Native commands report failure through $LASTEXITCODE, which is checked after each call.
$PSNativeCommandUseErrorActionPreference = $false

$root = $PSScriptRoot
$manifestSource = Join-Path $root 'OnloadTools.psd1'

function Invoke-Native {
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @()
    )
    Write-Host "> $FilePath $($ArgumentList -join ' ')" -ForegroundColor Cyan
    & $FilePath @ArgumentList
    $code = $LASTEXITCODE
    if ($code -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $code."
    }
}

function Write-Step([string] $Text) {
    Write-Host ''
    Write-Host "==> $Text" -ForegroundColor Green
}

if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
    throw 'dotnet was not found on PATH. Install the .NET 8 SDK (and the .NET 10 SDK for the tests), for example: sudo dnf install dotnet-sdk-8.0'
}

$manifest = Import-PowerShellDataFile -LiteralPath $manifestSource
$version = [string] $manifest.ModuleVersion
$moduleDir = Join-Path $root 'out' 'OnloadTools' $version

# ---------------------------------------------------------------- clean
if ($Clean) {
    Write-Step 'Clean'
    $stale = @(Join-Path $root 'out')
    foreach ($project in 'src/OnloadTools', 'build/HelpGen', 'tests/OnloadTools.Tests', 'bench/OnloadTools.Bench') {
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
Write-Step "Publish src/OnloadTools ($Configuration) and assemble out/OnloadTools/$version"
Invoke-Native dotnet @('publish', (Join-Path $root 'src' 'OnloadTools'), '-c', $Configuration, '-nologo')

# ---------------------------------------------------------------- verify the module folder
Write-Step "Verify $moduleDir"
if (-not (Test-Path -LiteralPath $moduleDir -PathType Container)) {
    $built = @(Get-ChildItem -LiteralPath (Join-Path $root 'out' 'OnloadTools') -Directory -ErrorAction SilentlyContinue |
        ForEach-Object Name)
    throw "The module folder '$moduleDir' was not assembled. OnloadTools.psd1 says ModuleVersion '$version' but the build produced: $($built -join ', '). Make OnloadToolsVersion in Directory.Build.props and ModuleVersion in OnloadTools.psd1 agree."
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
$pwsh = [System.Environment]::ProcessPath
Invoke-Native $pwsh @('-NoProfile', '-NonInteractive', '-Command', $probe)

Write-Host "Module OnloadTools $version assembled in $moduleDir ($helpCount cmdlet help topic(s))."

# ---------------------------------------------------------------- tests
if ($Test) {
    Write-Step 'xunit: dotnet test tests/OnloadTools.Tests'
    Invoke-Native dotnet @('test', (Join-Path $root 'tests' 'OnloadTools.Tests'), '-nologo')

    Write-Step 'Pester: tests/Pester'
    $pester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.5.0' } |
        Sort-Object Version -Descending | Select-Object -First 1
    if (-not $pester) {
        Write-Host 'Pester 5.5 or later is not installed; installing it for the current user.'
        Install-Module -Name Pester -MinimumVersion 5.5 -Scope CurrentUser -Force -SkipPublisherCheck
    }
    Import-Module -Name Pester -MinimumVersion 5.5.0 -Force

    $result = Invoke-Pester -Path (Join-Path $root 'tests' 'Pester') -Output Detailed -PassThru
    if ($result.Result -ne 'Passed' -or $result.FailedCount -gt 0) {
        throw "Pester: $($result.FailedCount) test(s) failed, $($result.FailedContainersCount) file(s) could not run (result: $($result.Result))."
    }
    Write-Host "Pester: $($result.PassedCount) passed, $($result.SkippedCount) skipped."
}

Write-Step 'Done'
