#!/usr/bin/env pwsh
# Invoke-LatencyComparison for real on this host, scaled down by -Scale (default 10): the paper's fixed protocol
# (-Iterations 5 -Duration 120/Scale) against the adaptive default (-Duration 10/Scale), the same two arms each time.
#   -Pair container (default): the paper's experiment, bare metal against netperf in a podman container of an Onload
#     image (--net=host; built once from a debootstrapped base with the test double of the onload package, so the
#     true ratio is the container's own cost, expected 1.00).
#   -Pair onload: netperf on the host against netperf under onload (the test double of tests/fixtures/bin: 1.00).
# Prints wall times, their ratio (goal ≤ 0.25) and each protocol's Mean verdicts. Needs root for podman; run after
# publishing the module (./build.ps1), on a host that runs nothing else.
param(
    [int] $Scale = 10,
    [ValidateSet('container', 'onload')] [string] $Pair = 'container',
    [int] $LocalCpu = -1,   # bind netperf / netserver (Invoke-LatencyComparison -LocalCpu / -RemoteCpu)
    [int] $RemoteCpu = -1,
    [string] $Module = "$PSScriptRoot/../out/OnloadTools"   # the module folder: Import-Module finds the version folder in it
)
$ErrorActionPreference = 'Stop'
Import-Module $Module -Force
$Fixtures = "$PSScriptRoot/../tests/fixtures"
$common = @{ WarningAction = 'SilentlyContinue' }
if ($LocalCpu -ge 0) { $common.LocalCpu = $LocalCpu }
if ($RemoteCpu -ge 0) { $common.RemoteCpu = $RemoteCpu }
if ($Pair -eq 'onload') {
    $env:PATH = "$Fixtures/bin:$env:PATH"
    $common.Arm = @{ Label = 'kernel' }, @{ Label = 'onload'; Onload = $true }
} else {
    . "$PSScriptRoot/../tests/Pester/ContainerTestHelpers.ps1"
    if (-not $env:CONTAINERS_CONF -and (Test-Path /etc/containers/onloadtools-ci.conf)) { $env:CONTAINERS_CONF = '/etc/containers/onloadtools-ci.conf' }
    $base = 'localhost/onloadtools-comparison-bench-base'
    $null = Initialize-TestBaseImage $base
    $work = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-bench-$([guid]::NewGuid().ToString('N'))")).FullName
    $common.Image = 'localhost/onloadtools-comparison-bench:latest'
    $common.BaseImage = $base
    $common.OnloadPackage = New-OnloadTestDeb $work
}
"load average before: $(Get-Content /proc/loadavg)"
$rows = foreach ($protocol in 'paper', 'adaptive') {
    $p = if ($protocol -eq 'paper') { @{ Iterations = 5; Duration = [math]::Max(1, [int](120 / $Scale)) } } else { @{ Duration = [math]::Max(1, [int](10 / $Scale)) } }
    if ($protocol -eq 'paper' -and $Pair -eq 'container') {
        # Build the image before the clock starts: both protocols then measure, neither builds.
        $null = Invoke-LatencyComparison @common -TestName TCP_RR -Iterations 2 -Duration 1
    }
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $out = Invoke-LatencyComparison @common @p
    $sw.Stop()
    $out | Where-Object { $_ -is [OnloadTools.LatencyComparison] -and $_.Metric -eq 'Mean' } | ForEach-Object {
        [pscustomobject]@{
            Protocol = $protocol; Seconds = [math]::Round($sw.Elapsed.TotalSeconds, 1); Test = $_.TestName
            PerArm = $_.ReferenceCount; DeltaPercent = [math]::Round($_.DeltaPercent, 1)
            CI = '[{0:0.0}, {1:0.0}] at {2:0.##} %' -f $_.ConfidenceIntervalLow, $_.ConfidenceIntervalHigh, ($_.ConfidenceLevel * 100)
            Verdict = $_.Verdict
        }
    }
}
"load average after: $(Get-Content /proc/loadavg)"
$rows | Format-Table -AutoSize | Out-String -Width 200
$paper = ($rows | Where-Object Protocol -eq paper)[0].Seconds
$adaptive = ($rows | Where-Object Protocol -eq adaptive)[0].Seconds
'time ratio adaptive/paper = {0:0.000} (goal ≤ 0.25)' -f ($adaptive / $paper)
if ($Pair -eq 'container') { Remove-Item -Recurse -Force $work }
