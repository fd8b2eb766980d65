using System.Management.Automation;

namespace OnloadTools.Tests.Engine;

/// <summary>
/// Bad input to every cmdlet, on this machine as it is (no Solarflare tools, no grubby, no such objects): each call
/// ends in clear PowerShell errors — a stable ErrorId of the module or the engine's own parameter errors, a real
/// category — never an unmapped .NET exception surfacing as a stack trace.
/// </summary>
public class BadInputTests
{
    public static TheoryData<string> Calls() => new()
    {
        "Get-SfcAdapter -InterfaceName no-such-if0",
        "Set-SfcPartitioning -InterfaceName no-such-if0 -PfCount 2 -Confirm:$false",
        "Set-SfcPartitioning -InterfaceName no-such-if0 -PfCount 99 -Confirm:$false",
        "Update-SfcFirmware -InterfaceName no-such-if0 -Confirm:$false",
        "Get-SfcInterface -Name no-such-if0",
        "New-OnloadPackage -Source /nonexistent/openonload-1.0.tgz -Confirm:$false",
        "New-OnloadPackage -Source /etc/hostname -Confirm:$false",
        "Get-TunedProfile -Name no-such-profile -Effective",
        "Invoke-TunedProfile -Name no-such-profile -Confirm:$false",
        "Get-NicCpuAffinity -InterfaceName no-such-if0",
        "Set-KernelBootArgument -Add 'isolcpus=1' -Confirm:$false",
        "Set-KernelBootArgument -Add '' -Confirm:$false",
        "Get-KernelBootArgument -Pending",
        "Export-LatencyReport -InputObject 'not a run' -Path /tmp/onloadtools-bad-input.html -Confirm:$false",
        "Export-LatencyRun -InputObject 42 -Path /tmp/onloadtools-bad-input-history -Confirm:$false",
        "Import-LatencyRun -Path /nonexistent/history",
        "Import-LatencyRun -Path /etc/hostname",
        "Compare-LatencyRun -ReferenceRun 1 -DifferenceRun 'x'",
        "New-OnloadImage -Tag 'Bad Tag' -BaseImage base -WhatIf",
        "New-OnloadImage -Tag onloadtools-bad:1 -BaseImage localhost/onloadtools-no-such-base -OnloadPackage /nonexistent/onload.rpm -Confirm:$false",
        "Get-OnloadImage -Name localhost/onloadtools-no-such-image:1",
        "Start-OnloadContainer -Image localhost/onloadtools-no-such-image:1 -Name onloadtools-bad-input -Confirm:$false",
        "Stop-OnloadContainer -Name onloadtools-no-such-container -Confirm:$false",
        "Get-OnloadContainer -Name onloadtools-no-such-container",
        "Measure-NetperfLatency -ComputerName no-such-host.invalid -Iterations 1 -Duration 1",
        "Measure-SockperfLatency -ComputerName 127.0.0.1 -Port 1 -Iterations 1 -Duration 1",
        "Measure-NetperfLatency -InterfaceName no-such-if0 -Iterations 1 -Duration 1",
    };

    private static readonly Type[] Unmapped =
    {
        typeof(NullReferenceException), typeof(InvalidCastException), typeof(IndexOutOfRangeException),
        typeof(KeyNotFoundException), typeof(AggregateException), typeof(FormatException), typeof(ArgumentOutOfRangeException),
        typeof(InvalidOperationException), typeof(System.Text.Json.JsonException), typeof(ObjectDisposedException),
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public void Bad_input_gives_clear_errors_never_an_unmapped_exception(string call)
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run(call);
        var errors = r.Errors.ToList();
        if (r.Terminating is not null) errors.Add(r.Terminating.ErrorRecord);
        Assert.True(errors.Count > 0 || r.Warnings.Count > 0 || r.Output.Count == 0,
            $"{call}: no error, no warning, and output — bad input went unnoticed");
        foreach (var e in errors)
        {
            string id = e.FullyQualifiedErrorId;
            string what = $"{call} → {id} [{e.CategoryInfo.Category}] {e.Exception.GetType().Name}: {e.Exception.Message}";
            Assert.False(id.StartsWith("System.", StringComparison.Ordinal), "unmapped exception: " + what);
            Assert.DoesNotContain(e.Exception.GetType(), Unmapped);
            Assert.NotEqual(ErrorCategory.NotSpecified, e.CategoryInfo.Category);
            Assert.False(string.IsNullOrWhiteSpace(e.Exception.Message), what);
        }
    }

    [Fact]
    public void An_image_that_does_not_exist_is_a_failed_readiness_check_not_an_exception()
    {
        using var engine = new PowerShellEngine();
        var r = engine.Run("Test-OnloadHost -Image localhost/onloadtools-no-such-image:1 | Where-Object Name -eq 'OnloadVersion' | ForEach-Object { $_.Status + '|' + $_.Remediation }");
        Assert.Empty(r.Errors);
        string check = Assert.Single(r.Output).ToString();
        // Without Onload on the host the check fails on that; with it, on the missing image. Either way: Fail, with a remedy.
        Assert.StartsWith("Fail|", check);
        Assert.True(check.Length > "Fail|".Length, "a failed check names its remediation");
    }

    [Fact]
    public void The_doubles_leave_PATH_as_they_found_it_even_when_a_test_replaces_PATH()
    {
        string before = Environment.GetEnvironmentVariable("PATH")!;
        using (var env = new DoublesOnPath())
        {
            env.Set("PATH", "/nonexistent-bin");
        }
        Assert.Equal(before, Environment.GetEnvironmentVariable("PATH"));
        Assert.DoesNotContain(TestPaths.Doubles, Environment.GetEnvironmentVariable("PATH")!);
    }
}
