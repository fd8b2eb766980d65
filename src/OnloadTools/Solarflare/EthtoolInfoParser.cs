namespace OnloadTools.Solarflare;

/// <summary>`ethtool -i IFACE`: driver, version, firmware-version, bus-info … as key → value. Never throws.</summary>
internal static class EthtoolInfoParser
{
    public static IReadOnlyDictionary<string, string> Parse(string? text)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(text)) return map;
        foreach (string raw in text.Split('\n'))
        {
            int colon = raw.IndexOf(':');
            if (colon <= 0) continue;
            string key = raw[..colon].Trim();
            if (key.Length == 0 || key.Contains(' ')) continue;
            map.TryAdd(key, raw[(colon + 1)..].Trim());
        }
        return map;
    }

    /// <summary>Copies the running driver's facts onto an adapter object.</summary>
    public static void Apply(IReadOnlyDictionary<string, string> info, SfcAdapter adapter)
    {
        string? Get(string k) => info.TryGetValue(k, out var v) && v.Length > 0 ? v : null;
        adapter.Driver = Get("driver");
        adapter.DriverVersion = Get("version");
        adapter.RunningFirmwareVersion = Get("firmware-version");
        adapter.BusAddress = Get("bus-info");
    }
}
