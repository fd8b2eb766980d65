using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using OnloadTools.Latency;

namespace OnloadTools.Bench;

/// <summary>Issue 2's targets: measurement transparency, orchestration overhead, import time.</summary>
public static class NetperfBenchmark
{
    private static string Manifest => Path.Combine(Program.ModuleDirectory, "OnloadTools.psd1");

    private static Runspace OpenRunspace()
    {
        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule(new[] { Manifest });
        var rs = RunspaceFactory.CreateRunspace(iss);
        rs.Open();
        return rs;
    }

    private static Process StartNetserver(int port)
    {
        var psi = new ProcessStartInfo("netserver") { ArgumentList = { "-D", "-p", port.ToString(CultureInfo.InvariantCulture), "-L", "127.0.0.1", "-4" } };
        var p = Process.Start(psi)!;
        Thread.Sleep(300);
        return p;
    }

    private static string RawNetperf(int port, int seconds, bool pin = false)
    {
        var psi = new ProcessStartInfo("netperf") { RedirectStandardOutput = true, RedirectStandardError = true };
        var args = new List<string> { "-H", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-t", "TCP_RR", "-l", seconds.ToString(CultureInfo.InvariantCulture) };
        if (pin) args.AddRange(new[] { "-T", "0,1" });
        args.AddRange(new[] { "--", "-r", "1,1", "-k", string.Join(",", NetperfParser.LatencySelectors) });
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return output;
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    public static int Transparency(string[] args)
    {
        int pairs = Arg(args, "--pairs", 10);
        int port = Arg(args, "--port", 23871);
        int seconds = Arg(args, "--duration", 1);
        bool pin = args.Contains("--pin"); // netperf -T 0,1 on both sides: less scheduler noise on a small machine
        using var server = StartNetserver(port);
        using var rs = OpenRunspace();
        var ratios = new List<double>();
        try
        {
            for (int i = 0; i < pairs; i++)
            {
                // Alternate the order so drift over time does not favour one side.
                double cmdlet = 0, raw = 0;
                for (int side = 0; side < 2; side++)
                {
                    bool cmdletFirst = i % 2 == 0;
                    if ((side == 0) == cmdletFirst)
                    {
                        using var ps = PowerShell.Create();
                        ps.Runspace = rs;
                        ps.AddCommand("Measure-NetperfLatency").AddParameter("ComputerName", "127.0.0.1").AddParameter("Port", port)
                            .AddParameter("TestName", new[] { "TCP_RR" }).AddParameter("Iterations", 1).AddParameter("Duration", seconds);
                        if (pin) ps.AddParameter("LocalCpu", 0).AddParameter("RemoteCpu", 1);
                        var run = (LatencyRun)ps.Invoke()[0].BaseObject;
                        cmdlet = run.MeanLatency!.Value;
                    }
                    else
                    {
                        var parsed = NetperfParser.Parse(RawNetperf(port, seconds, pin));
                        raw = parsed.GetDouble("MEAN_LATENCY")!.Value;
                    }
                }
                ratios.Add(cmdlet / raw);
                Console.WriteLine($"pair {i + 1}: cmdlet {cmdlet:0.00} µs, raw {raw:0.00} µs, ratio {cmdlet / raw:0.000}");
            }
        }
        finally { server.Kill(true); }
        double median = Median(ratios);
        bool ok = Math.Abs(median - 1) <= 0.03;
        Console.WriteLine($"netperf-transparency: median ratio {median:0.000} over {pairs} pairs (goal 1.00 ± 0.03): {(ok ? "met" : "NOT met")}");
        return 0;
    }

    public static int Overhead(string[] args)
    {
        int rounds = Arg(args, "--rounds", 3);
        int port = Arg(args, "--port", 23872);
        using var server = StartNetserver(port);
        using var rs = OpenRunspace();
        var ratios = new List<double>();
        try
        {
            for (int r = 0; r < rounds; r++)
            {
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < 5; i++) RawNetperf(port, 1);
                double raw = sw.Elapsed.TotalSeconds;

                sw.Restart();
                using var ps = PowerShell.Create();
                ps.Runspace = rs;
                ps.AddCommand("Measure-NetperfLatency").AddParameter("ComputerName", "127.0.0.1").AddParameter("Port", port)
                    .AddParameter("TestName", new[] { "TCP_RR" }).AddParameter("Iterations", 5).AddParameter("Duration", 1);
                ps.Invoke();
                double cmdlet = sw.Elapsed.TotalSeconds;
                ratios.Add(cmdlet / raw);
                Console.WriteLine($"round {r + 1}: cmdlet {cmdlet:0.000} s, raw {raw:0.000} s, ratio {cmdlet / raw:0.000}");
            }
        }
        finally { server.Kill(true); }
        double median = Median(ratios);
        Console.WriteLine($"netperf-overhead: median ratio {median:0.000} (goal ≤ 1.05): {(median <= 1.05 ? "met" : "NOT met")}");
        return 0;
    }

    public static int Import(string[] args)
    {
        int runs = Arg(args, "--runs", 10);
        // The first runspace pays for loading and JIT-compiling the engine itself; report it apart.
        // The first import of any module also JIT-compiles the engine's own module, format and type loaders; a
        // warm-up import of a tiny module with a format and a type file pays that, so what follows is our module's cost.
        string dummy = Directory.CreateTempSubdirectory("onloadtools-bench-dummy-").FullName;
        File.WriteAllText(Path.Combine(dummy, "Dummy.psm1"), "function Get-Dummy { 1 }");
        File.WriteAllText(Path.Combine(dummy, "Dummy.Format.ps1xml"), "<Configuration><ViewDefinitions><View><Name>D</Name><ViewSelectedBy><TypeName>Dummy.T</TypeName></ViewSelectedBy><TableControl><TableHeaders><TableColumnHeader/></TableHeaders><TableRowEntries><TableRowEntry><TableColumnItems><TableColumnItem><PropertyName>A</PropertyName></TableColumnItem></TableColumnItems></TableRowEntry></TableRowEntries></TableControl></View></ViewDefinitions></Configuration>");
        File.WriteAllText(Path.Combine(dummy, "Dummy.Types.ps1xml"), "<Types><Type><Name>Dummy.T</Name><Members><NoteProperty><Name>N</Name><Value>1</Value></NoteProperty></Members></Type></Types>");
        File.WriteAllText(Path.Combine(dummy, "Dummy.psd1"), "@{ RootModule='Dummy.psm1'; ModuleVersion='1.0'; FormatsToProcess=@('Dummy.Format.ps1xml'); TypesToProcess=@('Dummy.Types.ps1xml'); FunctionsToExport=@('Get-Dummy') }");
        var sw = Stopwatch.StartNew();
        using (var rs = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2()))
        {
            rs.Open();
            using var ps = PowerShell.Create();
            ps.Runspace = rs;
            ps.AddCommand("Import-Module").AddParameter("Name", Path.Combine(dummy, "Dummy.psd1")).Invoke();
        }
        Console.WriteLine($"engine warm-up (runspace + a tiny module): {sw.ElapsedMilliseconds} ms");
        Directory.Delete(dummy, true);

        var times = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            using var rs = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
            rs.Open();
            using var ps = PowerShell.Create();
            ps.Runspace = rs;
            sw.Restart();
            ps.AddCommand("Import-Module").AddParameter("Name", Manifest).Invoke();
            times.Add(sw.Elapsed.TotalMilliseconds);
            if (ps.HadErrors) throw new InvalidOperationException(string.Join("; ", ps.Streams.Error));
        }
        Console.WriteLine($"import times (ms): {string.Join(", ", times.Select(t => t.ToString("0.0", CultureInfo.InvariantCulture)))}");
        double first = times[0], median = Median(times.Skip(1));
        Console.WriteLine($"import: first {first:0.0} ms (loads OnloadTools.dll), median of the rest {median:0.0} ms (goal ≤ 150 ms): {(first <= 150 ? "met" : median <= 150 ? "met for warm imports only" : "NOT met")}");
        return 0;
    }
}
