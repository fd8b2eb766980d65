#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Offline help of the built module (mirrors tests/OnloadTools.Tests/Engine/HelpTests.cs): what Get-Help shows must be
# what docs/cmdlets/*.md says, and the pages must agree with the compiled cmdlets.

BeforeDiscovery {
    $docs = Join-Path $PSScriptRoot '..' '..' 'docs' 'cmdlets'
    $script:PageNames = @(Get-ChildItem -LiteralPath $docs -Filter '*.md' | ForEach-Object BaseName | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    $script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '..' '..')).Path
    $version = (Import-PowerShellDataFile -LiteralPath (Join-Path $RepoRoot 'OnloadTools.psd1')).ModuleVersion
    Import-Module (Join-Path $RepoRoot 'out' 'OnloadTools' $version 'OnloadTools.psd1') -Force
    $script:Docs = Join-Path $RepoRoot 'docs' 'cmdlets'
    $script:Common = [System.Management.Automation.PSCmdlet]::CommonParameters +
        [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

    # The parts of a docs/cmdlets page the tests compare with Get-Help (the same shape HelpGen reads).
    function Get-DocPage([string] $Name) {
        $lines = Get-Content -LiteralPath (Join-Path $Docs "$Name.md")
        $section = ''
        $inCode = $false
        $synopsis = [System.Collections.Generic.List[string]]::new()
        $parameters = [System.Collections.Generic.List[string]]::new()
        $examples = [System.Collections.Generic.List[string]]::new()
        foreach ($line in $lines) {
            if ($line.TrimStart().StartsWith('```')) { $inCode = -not $inCode; continue }
            if ($inCode) { continue }
            if ($line -match '^##\s+(.+?)\s*$' -and $line -notmatch '^###') { $section = $Matches[1].ToUpperInvariant(); continue }
            if ($section -eq 'SYNOPSIS' -and $line.Trim()) { $synopsis.Add(($line.Trim() -replace '\*\*|`', '')) }
            if ($section -eq 'PARAMETERS' -and $line -match '^###\s+-(\w+)') { $parameters.Add($Matches[1]) }
            if ($section -eq 'EXAMPLES' -and $line -match '^###\s+Example\s+\d+\s*[:.]\s*(.+)$') { $examples.Add($Matches[1].Trim()) }
        }
        [pscustomobject]@{
            Name       = $Name
            Synopsis   = $synopsis -join ' '
            Parameters = @($parameters)
            Examples   = @($examples)
        }
    }
}

AfterAll {
    Remove-Module OnloadTools -Force -ErrorAction SilentlyContinue
}

Describe 'Get-Help Measure-NetperfLatency' {
    BeforeAll {
        $Page = Get-DocPage 'Measure-NetperfLatency'
        $Full = Get-Help Measure-NetperfLatency -Full
    }

    It 'shows the synopsis of the docs page' {
        $Full.Synopsis | Should -Be $Page.Synopsis
        $Page.Synopsis | Should -Not -BeNullOrEmpty
    }

    It 'describes the private netserver and what survives Ctrl+C' {
        ($Full.description | ForEach-Object Text) -join ' ' | Should -Match 'private netserver'
        ($Full.alertSet.alert | ForEach-Object Text) -join ' ' | Should -Match 'What survives Ctrl\+C'
    }

    It 'names the error <_> in its notes' -ForEach @(
        'NetperfNotInstalled', 'NetserverUnreachable', 'NetperfOutputUnparsable', 'NetperfFailed',
        'NetperfTimedOut', 'NetserverStartFailed', 'HistoryWriteFailed'
    ) {
        ($Full.alertSet.alert | ForEach-Object Text) -join ' ' | Should -Match $_
    }

    It 'lists every parameter with its type, position and pipeline input from the compiled cmdlet' {
        $cmd = Get-Command Measure-NetperfLatency
        $help = @($Full.parameters.parameter)
        @($help | ForEach-Object name | Sort-Object) |
            Should -Be @($cmd.Parameters.Keys | Where-Object { $_ -notin $Common } | Sort-Object)
        $computerName = $help | Where-Object name -EQ 'ComputerName'
        $computerName.position | Should -Be '0'
        $computerName.pipelineInput | Should -Match 'ByValue'
        $computerName.type.name | Should -Be 'System.String'
        ($help | Where-Object name -EQ 'TestName').type.name | Should -Be 'System.String[]'
        ($help | Where-Object name -EQ 'Onload').type.name | Should -Be 'System.Management.Automation.SwitchParameter'
    }

    It 'shows the real default of -<Name>' -ForEach @(
        @{ Name = 'Duration' }, @{ Name = 'Iterations' }, @{ Name = 'RequestSize' }, @{ Name = 'ResponseSize' },
        @{ Name = 'OnloadProfile' }, @{ Name = 'TestName' }
    ) {
        $fresh = [OnloadTools.Commands.MeasureNetperfLatencyCommand]::new()
        (Get-Help Measure-NetperfLatency -Parameter $Name).defaultValue | Should -Be (@($fresh.$Name) -join ', ')
    }

    It 'returns OnloadTools.LatencyRun' {
        $Full.returnValues.returnValue.type.name | Should -Be 'OnloadTools.LatencyRun'
    }

    It 'shows every example of the page with -Examples' {
        $ex = @((Get-Help Measure-NetperfLatency -Examples).examples.example)
        $ex.Count | Should -Be $Page.Examples.Count
        $ex.Count | Should -BeGreaterOrEqual 3
        for ($i = 0; $i -lt $ex.Count; $i++) {
            $ex[$i].title | Should -Match ([regex]::Escape("Example $($i + 1): $($Page.Examples[$i])"))
            $ex[$i].code | Should -Match 'Measure-NetperfLatency'
        }
    }
}

Describe 'Get-Help about_OnloadTools' {
    It 'works offline and covers the workflow' {
        $about = Get-Help about_OnloadTools
        $about | Should -Not -BeNullOrEmpty
        $text = [string]$about
        foreach ($word in 'Measure-NetperfLatency', 'Invoke-TunedProfile', 'Set-SfcPartitioning', 'Start-OnloadContainer',
            'Compare-LatencyRun', 'ONLOADTOOLS_HOST_ROOT', 'Ctrl+C') {
            $text | Should -Match ([regex]::Escape($word))
        }
    }
}

Describe 'Every exported cmdlet' {
    It 'has a docs page, so Get-Help shows examples' {
        foreach ($name in (Get-Module OnloadTools).ExportedCmdlets.Keys) {
            Join-Path $Docs "$name.md" | Should -Exist -Because "every cmdlet needs docs/cmdlets/$name.md"
            @((Get-Help $name -Examples).examples.example).Count | Should -BeGreaterThan 0 -Because "$name needs examples"
        }
    }
}

Describe 'docs/cmdlets/<Name>.md' -ForEach $PageNames {
    BeforeAll {
        $Page = Get-DocPage $Name
        $Cmd = Get-Command $Name -Module OnloadTools -ErrorAction SilentlyContinue
    }

    It 'documents an exported cmdlet' {
        $Cmd | Should -Not -BeNullOrEmpty
    }

    It 'is the help Get-Help shows' {
        (Get-Help $Name).Synopsis | Should -Be $Page.Synopsis
        @((Get-Help $Name -Examples).examples.example).Count | Should -Be $Page.Examples.Count
    }

    It 'documents exactly the parameters of the cmdlet' {
        $actual = @($Cmd.Parameters.Keys | Where-Object { $_ -notin $Common } | Sort-Object)
        @($Page.Parameters | Sort-Object) | Should -Be $actual
    }

    It 'has examples that parse' {
        $tokens = $null
        $errors = $null
        $help = Get-Help $Name -Examples
        foreach ($example in @($help.examples.example)) {
            [System.Management.Automation.Language.Parser]::ParseInput($example.code, [ref]$tokens, [ref]$errors) | Out-Null
            $errors | Should -BeNullOrEmpty -Because "$($example.title) must be valid PowerShell"
        }
    }
}

Describe 'Get-Help -Full of <Name> shows the defaults the cmdlet really has' -ForEach $PageNames {
    It 'shows every initialized parameter''s value as its default value, and no text is cut' {
        $cmd = Get-Command $Name -Module OnloadTools
        $fresh = $cmd.ImplementingType::new()
        $help = @((Get-Help $Name -Full).parameters.parameter)
        foreach ($p in $cmd.Parameters.Values | Where-Object { $_.Name -notin $Common }) {
            $shown = ($help | Where-Object name -EQ $p.Name).defaultValue
            # Parentheses in a written default are balanced: "none (netperf runs on the host)" keeps its ")".
            ([regex]::Matches("$shown", '\(').Count) | Should -Be ([regex]::Matches("$shown", '\)').Count) -Because "-$($p.Name) shows '$shown'"
            $value = $fresh.($p.Name)
            if ($null -eq $value -or $value -is [System.Management.Automation.SwitchParameter] -or ($value -is [array] -and $value.Count -eq 0)) { continue }
            $t = [Nullable]::GetUnderlyingType($p.ParameterType) ?? $p.ParameterType
            if ($t.IsValueType -and $p.ParameterType -eq $t -and $value -eq [Activator]::CreateInstance($t)) { continue }
            $expected = @($value | ForEach-Object { if ($_ -is [double]) { $_.ToString('R', [cultureinfo]::InvariantCulture) } else { [string]$_ } }) -join ', '
            $shown | Should -Be $expected -Because "a fresh $Name has -$($p.Name) = $expected"
        }
    }
}

Describe 'Defaults that are behaviours' {
    It 'shows -Container''s written default of Measure-NetperfLatency whole' {
        (Get-Help Measure-NetperfLatency -Parameter Container).defaultValue | Should -Be 'none (netperf runs on the host)'
    }

    It 'shows what Compare-LatencyRun compares without -Metric' {
        (Get-Help Compare-LatencyRun -Parameter Metric).defaultValue | Should -Be 'all that the runs report'
    }
}

Describe 'What the help promises, the module does' {
    It 'runs remote examples through the remoting pwsh has on Linux (Invoke-Command -HostName; -ComputerName needs WSMan)' {
        $wsman = @(Get-ChildItem -LiteralPath $Docs -Filter '*.md' | Select-String -Pattern 'Invoke-Command\s+-ComputerName' |
            ForEach-Object { "$($_.Filename):$($_.LineNumber)" })
        $wsman | Should -BeNullOrEmpty
        ((Get-Help Compare-LatencyRun -Examples).examples.example.code -join "`n") | Should -Match 'Invoke-Command -HostName node1'
    }

    It 'Compare-LatencyRun Example 1 names the columns its table has' {
        $page = Get-Content -Raw -LiteralPath (Join-Path $Docs 'Compare-LatencyRun.md')
        $example = [regex]::Match($page, '### Example 1[\s\S]*?```\s*\n([\s\S]*?)### Example 2').Groups[1].Value
        $named = @([regex]::Matches($example, '`([^`\s]+)`') | ForEach-Object { $_.Groups[1].Value })
        $named.Count | Should -BeGreaterOrEqual 5
        function New-Run([string] $Label, [double[]] $Values) {
            $run = [OnloadTools.LatencyRun]::new()
            $run.Label = $Label; $run.TestName = 'TCP_RR'; $run.Status = 'Completed'
            $i = 0
            $run.Samples = [OnloadTools.LatencySample[]]@(foreach ($v in $Values) {
                $i++
                [OnloadTools.LatencySample]@{ TestName = 'TCP_RR'; Iteration = $i; MeanLatency = $v; P50Latency = $v; P99Latency = $v; MinLatency = $v; StdDevLatency = 1; TransactionRate = 1e6 / $v }
            })
            $run
        }
        $c = Compare-LatencyRun (New-Run a 10, 11, 12, 13, 14) (New-Run b 12, 13, 14, 15, 16) -Metric Mean -WarningAction SilentlyContinue
        $header = ($c | Format-Table | Out-String -Width 250) -split "`n" | Where-Object { $_ -match '^\s*Test\s+Metric\b' } | Select-Object -First 1
        $columns = $header -split '\s+' | Where-Object { $_ }
        foreach ($n in $named) { $columns | Should -Contain $n -Because "Example 1 names the column $n" }
        # The values the example sends to the Wide view are its columns there.
        $wide = ($c | Format-Table -View Wide | Out-String -Width 250) -split "`n" | Where-Object { $_ -match '^\s*Test\s+Metric\b' } | Select-Object -First 1
        foreach ($n in 'Reference', 'Difference', 'Delta', 'p') { ($wide -split '\s+') | Should -Contain $n }
    }

    It 'Invoke-LatencyComparison says run files end Stopped after Ctrl+C, as they do' {
        # LatencyRun.Finish(stopped: true) on Ctrl+C and on ArmPrepareFailed: the status is Stopped, never Partial.
        $help = (Get-Help Invoke-LatencyComparison -Full | Out-String -Width 400) -replace '\s+', ' '
        $help | Should -Match 'Stopped after Ctrl\+C'
        $help | Should -Match 'rewritten Stopped'
        $help | Should -Match 'the runs so far are saved Stopped'
        $help | Should -Not -Match 'rewritten Partial|saved Partial|Partial afterwards, also after Ctrl\+C'
    }

    It 'Start-OnloadContainer: ImageNotFound names the next step in the help and in the error' -Skip:(-not (Get-Command podman -CommandType Application -ErrorAction Ignore)) {
        (Get-Help Start-OnloadContainer -Full | Out-String -Width 400) -replace '\s+', ' ' | Should -Match 'ImageNotFound [^.]*\. [^.]*Next step: build it with New-OnloadImage'
        $saved = $env:CONTAINERS_CONF
        if (Test-Path /etc/containers/onloadtools-ci.conf) { $env:CONTAINERS_CONF = '/etc/containers/onloadtools-ci.conf' }
        try {
            $err = { Start-OnloadContainer -Image localhost/onloadtools-no-such-image-help:1 -Name onloadtools-help-not-found -Confirm:$false -ErrorAction Stop } |
                Should -Throw -PassThru
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'ImageNotFound'
            $err.TargetObject | Should -Be 'localhost/onloadtools-no-such-image-help:1'
            $err.ErrorDetails.RecommendedAction | Should -Match 'New-OnloadImage'
        }
        finally { $env:CONTAINERS_CONF = $saved }
    }
}
