#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# The assembled module folder as a user gets it (mirrors tests/OnloadTools.Tests/Engine/ModuleTests.cs).

BeforeAll {
    $script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '..' '..')).Path
    $script:Version = (Import-PowerShellDataFile -LiteralPath (Join-Path $RepoRoot 'OnloadTools.psd1')).ModuleVersion
    $script:ModuleDir = Join-Path $RepoRoot 'out' 'OnloadTools' $Version
    $script:Manifest = Join-Path $ModuleDir 'OnloadTools.psd1'
    Import-Module $Manifest -Force
    $script:Module = Get-Module OnloadTools
    $script:Listed = @((Import-PowerShellDataFile -LiteralPath $Manifest).CmdletsToExport)
}

AfterAll {
    Remove-Module OnloadTools -Force -ErrorAction SilentlyContinue
}

Describe 'The OnloadTools module folder' {
    It 'is named after the manifest version and the assembly agrees' {
        Split-Path $ModuleDir -Leaf | Should -Be $Version
        $v = [System.Reflection.AssemblyName]::GetAssemblyName((Join-Path $ModuleDir 'OnloadTools.dll')).Version
        '{0}.{1}.{2}' -f $v.Major, $v.Minor, $v.Build | Should -Be $Version
    }

    It 'holds what a user needs: <_>' -ForEach @(
        'OnloadTools.psd1', 'OnloadTools.dll', 'CliWrap.dll', 'OnloadTools.Types.ps1xml',
        'OnloadTools.Latency.Format.ps1xml', 'en-US/OnloadTools.dll-Help.xml', 'en-US/about_OnloadTools.help.txt'
    ) {
        Join-Path $ModuleDir $_ | Should -Exist
    }

    It 'does not ship System.Management.Automation.dll, symbols or deps files' {
        $shipped = @(Get-ChildItem -LiteralPath $ModuleDir -Recurse -File | ForEach-Object Name)
        $shipped | Where-Object { $_ -like 'System.Management.Automation*' } | Should -BeNullOrEmpty
        $shipped | Where-Object { $_ -like '*.pdb' -or $_ -like '*.deps.json' } | Should -BeNullOrEmpty
    }

    It 'has a valid manifest' {
        $m = Test-ModuleManifest -Path $Manifest
        $m.Version | Should -Be ([version]$Version)
        $m.RootModule | Should -Be 'OnloadTools.dll'
        $m.CompatiblePSEditions | Should -Contain 'Core'
        $m.PowerShellVersion | Should -Be ([version]'7.4')
    }

    It 'lists its cmdlets explicitly (no wildcards) and exports no functions, aliases or variables' {
        $Listed | Should -Not -BeNullOrEmpty
        $Listed | Where-Object { $_ -match '[*?]' } | Should -BeNullOrEmpty
        $Module.ExportedFunctions.Count | Should -Be 0
        $Module.ExportedAliases.Count | Should -Be 0
        $Module.ExportedVariables.Count | Should -Be 0
    }
}

Describe 'Importing OnloadTools' {
    It 'loads the version of the folder' {
        $Module.Version | Should -Be ([version]$Version)
        $Module.ModuleBase | Should -Be (Resolve-Path $ModuleDir).Path
    }

    It 'exports Measure-NetperfLatency' {
        $Module.ExportedCmdlets.Keys | Should -Contain 'Measure-NetperfLatency'
    }

    It 'exports only cmdlets the manifest lists' {
        foreach ($name in $Module.ExportedCmdlets.Keys) {
            $Listed | Should -Contain $name
        }
    }

    It 'exports every cmdlet the manifest lists' {
        foreach ($name in $Listed) {
            $Module.ExportedCmdlets.Keys | Should -Contain $name
        }
    }

    It 'gives every exported cmdlet an approved verb, an output type and help' {
        $approved = @(Get-Verb | ForEach-Object Verb)
        foreach ($cmd in $Module.ExportedCmdlets.Values) {
            $approved | Should -Contain $cmd.Verb -Because "$($cmd.Name) must use an approved verb"
            @($cmd.OutputType).Count | Should -BeGreaterThan 0 -Because "$($cmd.Name) must declare [OutputType]"
            (Get-Help $cmd.Name).Name | Should -Be $cmd.Name
        }
    }
}
