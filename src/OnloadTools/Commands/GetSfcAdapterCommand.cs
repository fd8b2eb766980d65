using System.Collections.Concurrent;
using System.Management.Automation;
using OnloadTools.Solarflare;

namespace OnloadTools.Commands;

/// <summary>Get-SfcAdapter: each Solarflare adapter port's boot configuration (sfboot), flash versions (sfupdate) and running driver (ethtool -i).</summary>
[Cmdlet(VerbsCommon.Get, "SfcAdapter")]
[OutputType(typeof(SfcAdapter))]
public sealed class GetSfcAdapterCommand : OnloadCmdlet
{
    /// <summary>Ports to describe (sfboot --adapter=NAME). Default: every Solarflare port.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SfcInterfaceNameCompleter))]
    public string[]? InterfaceName { get; set; }

    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);

    protected override void Process()
    {
        var service = new SfcToolService(Runner);
        foreach (string? name in InterfaceName ?? new string?[] { null })
        {
            var warnings = new ConcurrentQueue<string>();
            if (!TryItem(() => Await(service.GetAdaptersAsync(name, warnings.Enqueue, Cancellation)), name, out var adapters)) continue;
            foreach (string w in warnings)
            {
                if (_warned.Add(w)) WriteWarning(w);
            }
            foreach (var a in adapters) WriteObject(a);
        }
    }
}
