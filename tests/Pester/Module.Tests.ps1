#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# The assembled module folder as a user gets it, and importing it.

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

    It 'holds exactly what a user needs, nothing else' {
        $files = @(Get-ChildItem -LiteralPath $ModuleDir -Recurse -File |
                ForEach-Object { [IO.Path]::GetRelativePath($ModuleDir, $_.FullName).Replace('\', '/') } | Sort-Object { $_ } -Culture '' -CaseSensitive)
        [string[]] $expected = 'CliWrap.dll', 'HdrHistogram.dll',
            'OnloadTools.Containers.Format.ps1xml', 'OnloadTools.Jitter.Format.ps1xml', 'OnloadTools.Latency.Format.ps1xml', 'OnloadTools.Readiness.Format.ps1xml',
            'OnloadTools.Solarflare.Format.ps1xml',
            'OnloadTools.Tuning.Format.ps1xml', 'OnloadTools.Types.ps1xml', 'OnloadTools.dll', 'OnloadTools.psd1',
            'en-US/OnloadTools.dll-Help.xml', 'en-US/about_OnloadTools.help.txt'
        [Array]::Sort($expected, [StringComparer]::Ordinal)
        [string[]] $sorted = $files
        [Array]::Sort($sorted, [StringComparer]::Ordinal)
        $sorted | Should -Be $expected
    }

    It 'ships the about topic as plain help text' {
        $about = Get-Content -Raw (Join-Path $ModuleDir 'en-US/about_OnloadTools.help.txt')
        $about | Should -Match '^TOPIC'
        $about | Should -Match 'SHORT DESCRIPTION'
        $about | Should -Not -Match '```'
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

    It 'exports every cmdlet the assembly implements, and lists only implemented ones' {
        $implemented = @($Module.ImplementingAssembly.GetTypes() |
                ForEach-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
                ForEach-Object { "$($_.VerbName)-$($_.NounName)" } | Sort-Object)
        $implemented.Count | Should -BeGreaterThan 0
        @($Module.ExportedCmdlets.Keys | Sort-Object) | Should -Be $implemented
        @($Listed | Sort-Object) | Should -Be $implemented
    }

    It 'imports in a fresh runspace without errors' {
        $ps = [powershell]::Create()
        try {
            $names = $ps.AddScript("Import-Module '$Manifest'; Get-Command -Module OnloadTools | ForEach-Object Name").Invoke()
            $ps.Streams.Error | Should -BeNullOrEmpty
            $ps.HadErrors | Should -BeFalse
            $names | Should -Contain 'Measure-NetperfLatency'
        }
        finally { $ps.Dispose() }
    }

    It 'keeps the samples of a run through remoting serialization at the default depth' {
        $run = [OnloadTools.LatencyRun]::new()
        $run.TestName = 'TCP_RR'
        $run.Samples = @(
            [OnloadTools.LatencySample]@{ TestName = 'TCP_RR'; Iteration = 1; MeanLatency = 10.5; P99Latency = 20 },
            [OnloadTools.LatencySample]@{ TestName = 'TCP_RR'; Iteration = 2; MeanLatency = 11.5; P99Latency = 22 })
        # Default depth, as Invoke-Command uses: the type's SerializationDepth must keep the samples as objects.
        $copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($run))
        $copy.PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.LatencyRun'
        $copy.Samples[1].PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.LatencySample'
        $copy.Samples[1].MeanLatency | Should -Be 11.5
        $copy.MeanLatency | Should -Be 11.0
    }

    It 'gives every exported cmdlet an approved verb, an output type and help' {
        $approved = @(Get-Verb | ForEach-Object Verb)
        foreach ($cmd in $Module.ExportedCmdlets.Values) {
            $approved | Should -Contain $cmd.Verb -Because "$($cmd.Name) must use an approved verb"
            @($cmd.OutputType).Count | Should -BeGreaterThan 0 -Because "$($cmd.Name) must declare [OutputType]"
            (Get-Help $cmd.Name).Name | Should -Be $cmd.Name
            ($cmd.Noun.EndsWith('s') -and -not $cmd.Noun.EndsWith('ss')) | Should -BeFalse -Because "$($cmd.Noun) must be singular"
        }
    }
}
