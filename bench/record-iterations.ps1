#!/usr/bin/env pwsh
# Records the per-iteration netperf means that the comparison-simulated benchmark draws its noise from: TCP_RR and
# UDP_RR on this host's loopback through Measure-NetperfLatency (the runner Invoke-LatencyComparison uses), one
# iteration per call, rounds interleaving every test and duration so that a drift of the host falls on all of them.
# Writes test,duration,iteration,mean_us (the format of bench/data/*.csv) and prints the load average before and after,
# which belongs next to the file (bench/data/README.md): a recording is only as quiet as the host was.
# Prints each round's end time and load average, so an iteration disturbed by something else can be found afterwards.
# Run after publishing the module (./build.ps1), on a host that runs nothing else.
param(
    [int[]] $Duration = @(1, 4, 10),
    [int] $Iterations = 25,
    [string[]] $TestName = @('TCP_RR', 'UDP_RR'),
    [Parameter(Mandatory)] [string] $Path,
    [string] $Module = "$PSScriptRoot/../out/OnloadTools"   # the module folder: Import-Module finds the version folder in it
)
$ErrorActionPreference = 'Stop'
Import-Module $Module -Force
"load average before: $(Get-Content /proc/loadavg)"
$rows = [System.Collections.Generic.List[string]]::new()
$rows.Add('test,duration,iteration,mean_us')
foreach ($i in 1..$Iterations) {
    foreach ($d in $Duration) {
        foreach ($t in $TestName) {
            $run = Measure-NetperfLatency -TestName $t -Duration $d -Iterations 1 -WarningAction SilentlyContinue
            $mean = $run.Samples[0].MeanLatency
            $rows.Add([string]::Format([cultureinfo]::InvariantCulture, '{0},{1},{2},{3}', $t, $d, $i, $mean))
        }
    }
    "round $i of $Iterations done at $([datetime]::UtcNow.ToString('HH:mm:ss'))Z, load average $(Get-Content /proc/loadavg)"
    Write-Progress -Activity 'Recording netperf iterations' -Status "round $i of $Iterations" -PercentComplete (100 * $i / $Iterations)
}
Write-Progress -Activity 'Recording netperf iterations' -Completed
[IO.File]::WriteAllLines($Path, $rows)
"load average after: $(Get-Content /proc/loadavg)"
"$($rows.Count - 1) iterations written to $Path"
