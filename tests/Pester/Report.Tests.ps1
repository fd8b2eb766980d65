#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Export-LatencyReport, opened in Debian's headless chromium (mirrors tests/OnloadTools.Tests/Reporting/ReportEngineTests.cs).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/OnloadTools/0.1.0/OnloadTools.psd1') -Force

    # A run as a hashtable (Export-LatencyReport binds hashtables with TestName and Samples, like deserialized runs).
    function script:New-Run([string] $Label, [string] $Test, [double] $Mean, [int] $Iterations, [datetime] $Start, [int] $Seed) {
        $rng = [Random]::new($Seed)
        $samples = foreach ($i in 1..$Iterations) {
            $m = $Mean * (1 + 0.02 * ($rng.NextDouble() * 2 - 1))
            @{ TestName = $Test; Iteration = $i; Label = $Label; MeanLatency = $m; MinLatency = 0.8 * $m; P50Latency = 0.97 * $m
               P90Latency = 1.2 * $m; P99Latency = 1.5 * $m; MaxLatency = 3 * $m; StdDevLatency = 0.1 * $m; TransactionRate = 1e6 / $m
               StartTime = $Start.AddSeconds(10 * $i) }
        }
        @{ RunId = [guid]::NewGuid().ToString('N'); Label = $Label; TestName = $Test; StartTime = $Start; Status = 'Completed'; Samples = @($samples) }
    }

    function script:Invoke-Chromium([string[]] $Arguments) {
        $chromium = @('/usr/bin/chromium', '/usr/bin/chromium-browser') | Where-Object { Test-Path $_ } | Select-Object -First 1
        if (-not $chromium) { throw "chromium is not installed: run 'apt-get install -y chromium' (these tests never skip)." }
        $profile = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
        try {
            $err = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
            $out = & $chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking `
                --disable-component-update --disable-sync --disable-dev-shm-usage "--user-data-dir=$profile" @Arguments 2> $err
            [pscustomobject]@{ Out = ($out -join "`n"); Err = (Get-Content -Raw $err) }
            Remove-Item $err -ErrorAction Ignore
        }
        finally { Remove-Item -Recurse -Force $profile -ErrorAction Ignore }
    }

    function script:Assert-Renders([string] $Html, [int] $Canvases, [string] $Png) {
        $uri = ([Uri]$Html).AbsoluteUri
        $dom = Invoke-Chromium @('--enable-logging=stderr', '--v=0', '--virtual-time-budget=5000', '--dump-dom', $uri)
        $dom.Out | Should -Match 'data-report="rendered"'
        $dom.Out | Should -Not -Match 'id="report-errors"'
        $found = [regex]::Matches($dom.Out, '<canvas[^>]*>')
        $found.Count | Should -Be $Canvases
        foreach ($c in $found) { $c.Value | Should -Match 'data-rendered="true"' }
        ($dom.Err -split "`n" | Where-Object { $_ -match ':CONSOLE|Uncaught' }) | Should -BeNullOrEmpty
        $null = Invoke-Chromium @('--hide-scrollbars', '--window-size=1280,2400', '--virtual-time-budget=5000', "--screenshot=$Png", $uri)
        Test-Path $Png | Should -BeTrue
        (Get-Item $Png).Length | Should -BeGreaterThan 30000
    }
}

Describe 'Export-LatencyReport' {
    BeforeEach {
        $script:Dir = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName
    }
    AfterEach { Remove-Item -Recurse -Force $script:Dir -ErrorAction Ignore }

    It 'renders real sockperf runs and a nightly history in headless chromium' {
        $html = Join-Path $script:Dir 'report.html'
        $runs = @(
            Measure-SockperfLatency -Protocol Udp -Iterations 3 -Duration 1 -FullDistribution -Label kernel
            Measure-SockperfLatency -Protocol Udp -Iterations 3 -Duration 1 -FullDistribution -Label tuned -Mps 20000
        )
        $nights = 0..4 | ForEach-Object { New-Run nightly TCP_RR $(if ($_ -eq 4) { 23 } else { 20 }) 5 ([datetime]'2026-11-16T02:00:00Z').AddDays($_) (40 + $_) }
        $file = $runs + $nights | Export-LatencyReport -Path $html -ReferenceLabel kernel -Title 'Loopback' -PassThru
        $file | Should -BeOfType System.IO.FileInfo
        $file.FullName | Should -Be $html
        $text = Get-Content -Raw $html
        $text | Should -Match 'tuned vs kernel: tuned '
        $text | Should -Match 'vs baseline: 4 earlier run\(s\)'
        $text | Should -Match 'full distribution \(every round trip\)'
        $text | Should -Match "default-src 'none'"
        Assert-Renders $html 7 (Join-Path $script:Dir 'report.png')
    }

    It 'states the verdicts in words above the charts' {
        $html = Join-Path $script:Dir 'v.html'
        $runs = @(
            New-Run bare-metal TCP_RR 20 8 ([datetime]'2026-11-20') 1; New-Run container TCP_RR 20.2 8 ([datetime]'2026-11-20') 2
            New-Run bare-metal UDP_RR 18 8 ([datetime]'2026-11-20') 3; New-Run container UDP_RR 22 8 ([datetime]'2026-11-20') 4
        )
        $runs | Export-LatencyReport -Path $html
        $text = Get-Content -Raw $html
        $text | Should -Match 'container vs bare-metal: container adds no measurable latency at the mean'
        $text | Should -Match 'REGRESSION'
        $text.IndexOf('<ul class="verdicts">') | Should -BeLessThan $text.IndexOf('<canvas')
        Assert-Renders $html 6 (Join-Path $script:Dir 'v.png')
    }

    It 'does not overwrite with -WhatIf, and overwrites when confirmed' {
        $html = Join-Path $script:Dir 'w.html'
        $runs = @(New-Run a TCP_RR 20 3 ([datetime]'2026-11-20') 1; New-Run b TCP_RR 20 3 ([datetime]'2026-11-20') 2)
        $runs | Export-LatencyReport -Path $html -Title First
        $runs | Export-LatencyReport -Path $html -Title Second -WhatIf
        Get-Content -Raw $html | Should -Match '<title>First</title>'
        $runs | Export-LatencyReport -Path $html -Title Second -Confirm:$false
        Get-Content -Raw $html | Should -Match '<title>Second</title>'
    }

    It 'refuses an unknown reference label' {
        $runs = @(New-Run a TCP_RR 20 3 ([datetime]'2026-11-20') 1; New-Run b TCP_RR 20 3 ([datetime]'2026-11-20') 2)
        { $runs | Export-LatencyReport -Path (Join-Path $script:Dir 'x.html') -ReferenceLabel nosuch -ErrorAction Stop } |
            Should -Throw -ErrorId 'ReferenceLabelNotFound,OnloadTools.Commands.ExportLatencyReportCommand'
    }
}
