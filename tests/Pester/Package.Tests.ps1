#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# build.ps1 under the pwsh a user has, and the module installed like a gallery module: ./build.ps1 -Package writes a
# .nupkg, PSResourceGet installs it from a folder registered as a repository, and a fresh pwsh finds the cmdlets by
# name (module auto-loading), as cron scripts such as docs/examples/Invoke-NightlyLatencyCheck.ps1 need.

BeforeAll {
    $script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '..' '..')).Path
    $script:Version = (Import-PowerShellDataFile -LiteralPath (Join-Path $RepoRoot 'OnloadTools.psd1')).ModuleVersion

    . "$PSScriptRoot/TestHelpers.ps1"
    # A fresh pwsh like this one (TestHelpers.ps1 knows how to start it).
    function script:Invoke-FreshPwsh {
        param([string] $Command, [hashtable] $Environment = @{}, [string] $WorkingDirectory = $RepoRoot)
        $psi = New-FreshPwshStartInfo '-NoProfile', '-NonInteractive', '-Command', $Command
        $psi.WorkingDirectory = $WorkingDirectory
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        foreach ($k in $Environment.Keys) { $psi.Environment[$k] = $Environment[$k] }
        $p = [System.Diagnostics.Process]::Start($psi)
        $err = $p.StandardError.ReadToEndAsync()
        $out = $p.StandardOutput.ReadToEnd()
        $p.WaitForExit()
        [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $out; Error = $err.Result }
    }
}

Describe 'build.ps1 -Package and Install-PSResource' -Tag Package {
    BeforeAll {
        # The user's scope of the installing pwsh lives under HOME: a HOME of the test's own keeps this machine's
        # module folders and PSResourceGet repository list untouched.
        $script:UserHome = Join-Path $TestDrive 'home'
        $script:Repo = Join-Path $TestDrive 'repo'
        $null = New-Item -ItemType Directory -Path $UserHome, $Repo
        $script:IsolatedEnv = @{ HOME = $UserHome; XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null; XDG_CACHE_HOME = $null; PSModulePath = $null }
    }

    It 'writes OnloadTools.<version>.nupkg from the built folder under a fresh pwsh' {
        $r = Invoke-FreshPwsh "./build.ps1 -NoBuild -Package"
        $r.ExitCode | Should -Be 0 -Because "$($r.Output)`n$($r.Error)"
        $r.Output | Should -Match 'cmdlet\(s\) exported'
        $nupkg = Join-Path $RepoRoot 'out' "OnloadTools.$Version.nupkg"
        $nupkg | Should -Exist
        Copy-Item -LiteralPath $nupkg -Destination $Repo
        $entries = [System.IO.Compression.ZipFile]::OpenRead($nupkg)
        try { $names = @($entries.Entries.FullName) } finally { $entries.Dispose() }
        $names | Should -Contain 'OnloadTools.psd1'
        $names | Should -Contain 'OnloadTools.dll'
        $names | Should -Contain 'en-US/OnloadTools.dll-Help.xml'
        $names | Where-Object { $_ -like 'System.Management.Automation*' } | Should -BeNullOrEmpty
    }

    It 'installs with Install-PSResource from a local repository, and a fresh pwsh finds the cmdlets by name' {
        Join-Path $Repo "OnloadTools.$Version.nupkg" | Should -Exist
        $install = Invoke-FreshPwsh -Environment $IsolatedEnv -Command @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name OnloadToolsLocal -Uri '$Repo' -Trusted
Install-PSResource -Name OnloadTools -Repository OnloadToolsLocal -Scope CurrentUser -TrustRepository
(Get-InstalledPSResource -Name OnloadTools).InstalledLocation
"@
        $install.ExitCode | Should -Be 0 -Because "$($install.Output)`n$($install.Error)"
        $install.Output | Should -Match ([regex]::Escape($UserHome))

        # No Import-Module and no PSModulePath set by hand: auto-loading finds the module in the user's scope.
        $use = Invoke-FreshPwsh -Environment $IsolatedEnv -WorkingDirectory $TestDrive -Command @'
$ErrorActionPreference = 'Stop'
$cmd = Get-Command Measure-NetperfLatency
'{0}|{1}' -f $cmd.Module.Name, $cmd.Module.ModuleBase
$info = Get-OnloadInfo -ErrorAction Stop
'Installed={0}' -f $info.Installed
Import-Module OnloadTools
'Version={0}' -f (Get-Module OnloadTools).Version
'@
        $use.ExitCode | Should -Be 0 -Because "$($use.Output)`n$($use.Error)"
        $use.Output | Should -Match "OnloadTools\|$([regex]::Escape($UserHome))/\.local/share/powershell/Modules/OnloadTools/$([regex]::Escape($Version))"
        $use.Output | Should -Match 'Installed=(True|False)'
        $use.Output | Should -Match "Version=$([regex]::Escape($Version))"
    }
}
