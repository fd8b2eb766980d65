using OnloadTools.Processes;

namespace OnloadTools.Solarflare;

/// <summary>sfboot/sfupdate reported that it found no such adapter, or no Solarflare adapter at all.</summary>
internal sealed class SfcAdapterNotFoundException : Exception
{
    public SfcAdapterNotFoundException(string tool, string? interfaceName, string message) : base(message)
    {
        Tool = tool;
        InterfaceName = interfaceName;
    }

    /// <summary>The utility that found no adapter: sfboot or sfupdate.</summary>
    public string Tool { get; }
    /// <summary>The port asked for; null when every adapter was.</summary>
    public string? InterfaceName { get; }
}

/// <summary>
/// Runs the Solarflare utilities (sfboot, sfupdate) and ethtool by name from PATH and turns their output into
/// SfcAdapter objects. The same code runs against the real tools and against the test doubles.
/// </summary>
internal sealed class SfcToolService
{
    public static readonly TimeSpan QueryTimeout = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan WriteTimeout = TimeSpan.FromMinutes(30);

    private readonly IToolRunner _runner;

    public SfcToolService(IToolRunner runner)
    {
        _runner = runner;
    }

    public static ToolCommand SfbootQuery(string? interfaceName) =>
        interfaceName is null ? new ToolCommand("sfboot") : new ToolCommand("sfboot", $"--adapter={interfaceName}");

    public static ToolCommand SfupdateQuery(string? interfaceName) =>
        interfaceName is null ? new ToolCommand("sfupdate") : new ToolCommand("sfupdate", $"--adapter={interfaceName}");

    /// <summary>sfupdate [--adapter=IF] --write --yes (--yes: this module has already asked through ShouldProcess).</summary>
    public static ToolCommand SfupdateWrite(string? interfaceName, bool force)
    {
        var args = new List<string>();
        if (interfaceName is not null) args.Add($"--adapter={interfaceName}");
        args.Add("--write");
        args.Add("--yes");
        if (force) args.Add("--force");
        return new ToolCommand("sfupdate", args);
    }

    /// <summary>The boot configuration of every port (or one), as sfboot lists it.</summary>
    /// <exception cref="SfcAdapterNotFoundException">sfboot knows no such adapter / found none.</exception>
    /// <exception cref="ToolFailedException">sfboot failed otherwise.</exception>
    public async Task<SfbootOutput> ReadBootConfigAsync(string? interfaceName, CancellationToken ct)
    {
        var result = await _runner.RunAsync(SfbootQuery(interfaceName), QueryTimeout, ct).ConfigureAwait(false);
        return ParseSfboot(result, interfaceName);
    }

    /// <summary>Runs a configuring sfboot command and parses the configuration it prints afterwards.</summary>
    public async Task<(ToolResult Result, SfbootOutput Output)> ApplyBootConfigAsync(ToolCommand command, string? interfaceName, CancellationToken ct)
    {
        var result = await _runner.RunAsync(command, QueryTimeout, ct).ConfigureAwait(false);
        return (result, ParseSfboot(result, interfaceName));
    }

    private static SfbootOutput ParseSfboot(ToolResult result, string? interfaceName)
    {
        var output = SfbootParser.Parse(result.StandardOutput);
        if (!result.Succeeded)
        {
            if (LooksLikeNoAdapter(result.CombinedOutput)) throw new SfcAdapterNotFoundException("sfboot", interfaceName, result.Describe());
            throw new ToolFailedException(result);
        }
        if (interfaceName is not null && output.Ports.All(p => p.InterfaceName != interfaceName))
            throw new SfcAdapterNotFoundException("sfboot", interfaceName, $"'{result.CommandLine}' did not list {interfaceName}.");
        if (output.Ports.Count == 0)
        {
            // Exit code 0 and no adapter block: say so with sfboot's own words rather than return nothing.
            string said = result.CombinedOutput.Trim();
            throw new SfcAdapterNotFoundException("sfboot", null,
                $"'{result.CommandLine}' exited 0 but listed no adapter. sfboot said: {(said.Length > 0 ? said : "(nothing)")}");
        }
        return output;
    }

    internal static bool LooksLikeNoAdapter(string text) =>
        text.Contains("No supported Solarflare adapters", StringComparison.OrdinalIgnoreCase)
        || text.Contains("No adapters", StringComparison.OrdinalIgnoreCase)
        || text.Contains("not found", StringComparison.OrdinalIgnoreCase)
        || text.Contains("No such adapter", StringComparison.OrdinalIgnoreCase);

    /// <summary>The flash contents of every port (sfupdate with no --write). An empty list when it finds no adapter.</summary>
    public async Task<SfupdateOutput> ReadFirmwareAsync(string? interfaceName, CancellationToken ct)
    {
        var result = await _runner.RunAsync(SfupdateQuery(interfaceName), QueryTimeout, ct).ConfigureAwait(false);
        var output = SfupdateParser.Parse(result.CombinedOutput);
        if (!result.Succeeded && !output.NoAdapters)
        {
            if (LooksLikeNoAdapter(result.CombinedOutput)) throw new SfcAdapterNotFoundException("sfupdate", interfaceName, result.Describe());
            throw new ToolFailedException(result);
        }
        return output;
    }

    /// <summary>The flash contents of the port asked for (or of every port), which must exist.</summary>
    /// <exception cref="SfcAdapterNotFoundException">sfupdate found no Solarflare adapter (for the port).</exception>
    public async Task<(SfupdateOutput Output, IReadOnlyList<SfupdatePort> Ports)> ReadFirmwarePortsAsync(string? interfaceName, CancellationToken ct)
    {
        var output = await ReadFirmwareAsync(interfaceName, ct).ConfigureAwait(false);
        var ports = output.Ports.Where(p => interfaceName is null || p.InterfaceName == interfaceName).ToList();
        if (ports.Count == 0)
            throw new SfcAdapterNotFoundException("sfupdate", interfaceName, $"sfupdate found no Solarflare adapter{(interfaceName is null ? "" : " for " + interfaceName)}.");
        return (output, ports);
    }

    /// <summary>Writes newer firmware (sfupdate --write). Throws ToolFailedException when sfupdate fails.</summary>
    public async Task<(ToolResult Result, SfupdateOutput Output)> WriteFirmwareAsync(ToolCommand command, CancellationToken ct)
    {
        var result = await _runner.RunAsync(command, WriteTimeout, ct).ConfigureAwait(false);
        var output = SfupdateParser.Parse(result.CombinedOutput);
        if (!result.Succeeded)
        {
            if (LooksLikeNoAdapter(result.CombinedOutput)) throw new SfcAdapterNotFoundException("sfupdate", null, result.Describe());
            throw new ToolFailedException(result);
        }
        return (result, output);
    }

    /// <summary>ethtool -i IF, or null when ethtool cannot describe the interface.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> ReadDriverInfoAsync(string interfaceName, CancellationToken ct)
    {
        var result = await _runner.RunAsync(new ToolCommand("ethtool", "-i", interfaceName), TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
        return result.Succeeded ? EthtoolInfoParser.Parse(result.StandardOutput) : null;
    }

    /// <summary>sfboot's ports joined with sfupdate's and ethtool's view of the same interfaces.</summary>
    /// <param name="warn">Receives one sentence per secondary source that could not be read (sfupdate, ethtool).</param>
    public async Task<List<SfcAdapter>> GetAdaptersAsync(string? interfaceName, Action<string> warn, CancellationToken ct)
    {
        var boot = await ReadBootConfigAsync(interfaceName, ct).ConfigureAwait(false);
        var adapters = boot.Ports.Where(p => interfaceName is null || p.InterfaceName == interfaceName)
            .Select(p => SfbootParser.ToAdapter(p, boot.UtilityVersion)).ToList();
        if (adapters.Count == 0) return adapters;

        try
        {
            var firmware = await ReadFirmwareAsync(interfaceName, ct).ConfigureAwait(false);
            foreach (var a in adapters)
            {
                var f = firmware.Ports.FirstOrDefault(p => p.InterfaceName == a.InterfaceName);
                if (f is null) continue;
                ApplyFirmware(f, a);
                a.SfupdateVersion = firmware.UtilityVersion;
            }
        }
        catch (ToolNotFoundException e) { warn($"Firmware versions are missing: {e.Message}"); }
        catch (ToolFailedException e) { warn($"Firmware versions are missing: {e.Message}"); }
        catch (SfcAdapterNotFoundException e) { warn($"Firmware versions are missing: {e.Message}"); }
        catch (ToolTimeoutException e) { warn($"Firmware versions are missing: {e.Message}"); }

        foreach (var a in adapters)
        {
            try
            {
                var info = await ReadDriverInfoAsync(a.InterfaceName, ct).ConfigureAwait(false);
                if (info is not null) EthtoolInfoParser.Apply(info, a);
                else warn($"ethtool -i {a.InterfaceName} failed: driver facts are missing (is the interface present?).");
            }
            catch (ToolNotFoundException e)
            {
                warn($"Driver facts are missing: {e.Message}");
                break;
            }
            catch (ToolTimeoutException e) { warn(e.Message); }
        }
        return adapters;
    }

    public static void ApplyFirmware(SfupdatePort f, SfcAdapter a)
    {
        a.MacAddress = f.MacAddress;
        a.ControllerType = f.ControllerType;
        a.FirmwareVersion = f.FirmwareVersion;
        a.ControllerVersion = f.ControllerVersion;
        a.BootRomVersion = f.BootRomVersion;
        a.UefiRomVersion = f.UefiRomVersion;
        a.BundleType = f.BundleType;
        a.BundleVersion = f.BundleVersion;
        a.AvailableUpdates = f.AvailableUpdates.ToArray();
        a.UpdateAvailable = f.AvailableUpdates.Count > 0;
    }
}
