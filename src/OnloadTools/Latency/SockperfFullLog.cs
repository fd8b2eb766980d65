namespace OnloadTools.Latency;

/// <summary>
/// Streams sockperf's --full-log CSV ("packet, txTime(sec), rxTime(sec), latency(usec)" or "… rtt(usec)") into a
/// <see cref="LatencyDistribution"/> without holding the rows: one pass over the bytes, the last field of each
/// data row parsed as fixed-point microseconds into whole nanoseconds. Header and footer lines are skipped.
/// </summary>
internal static class SockperfFullLog
{
    public sealed class Result
    {
        /// <summary>"OneWay" (latency(usec) column) or "RoundTrip" (rtt(usec)); null when the header was not seen.</summary>
        public string? LatencyKind { get; init; }
        public long Rows { get; init; }
        /// <summary>Lines that looked like data but could not be read (cut short, garbled).</summary>
        public long Malformed { get; init; }
    }

    private const int BufferSize = 1 << 20;
    internal const string Prefix = "onloadtools-sockperf-";

    /// <summary>
    /// A fresh path for one iteration's full log in <paramref name="directory"/>, named after this process
    /// (onloadtools-sockperf-PID-GUID.csv). Logs of earlier runs whose process is gone (a pwsh that was SIGKILLed
    /// cannot delete the several-MB file it was filling) are removed first, so leftovers never accumulate.
    /// </summary>
    public static string NewPath(string directory)
    {
        RemoveOrphans(directory);
        return Path.Combine(directory, $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid():N}.csv");
    }

    /// <summary>Deletes full logs in <paramref name="directory"/> whose owner process no longer exists; returns how many.</summary>
    public static int RemoveOrphans(string directory)
    {
        int removed = 0;
        IEnumerable<string> candidates;
        try { candidates = Directory.EnumerateFiles(directory, Prefix + "*.csv").ToArray(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
        foreach (string file in candidates)
        {
            // onloadtools-sockperf-<pid>-<guid>.csv; older names without a pid are left alone (owner unknown).
            string rest = Path.GetFileNameWithoutExtension(file)[Prefix.Length..];
            int dash = rest.IndexOf('-');
            if (dash <= 0 || !int.TryParse(rest.AsSpan(0, dash), System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out int pid)) continue;
            if (pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}")) continue;
            try
            {
                File.Delete(file);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return removed;
    }

    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static Result ReadInto(string path, LatencyDistribution distribution, CancellationToken ct = default)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        return ReadInto(stream, distribution, ct);
    }

    public static Result ReadInto(Stream stream, LatencyDistribution distribution, CancellationToken ct = default)
    {
        byte[] buffer = new byte[BufferSize];
        var state = new LineState();
        long rows = 0, malformed = 0;
        string? kind = null;
        var header = new System.Text.StringBuilder();

        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            for (int i = 0; i < read; i++)
            {
                byte b = buffer[i];
                if (b == (byte)'\n')
                {
                    EndLine(ref state, distribution, header, ref rows, ref malformed, ref kind);
                    continue;
                }
                if (state.Position++ == 0)
                {
                    state.IsData = b is >= (byte)'0' and <= (byte)'9';
                }
                if (!state.IsData)
                {
                    if (header.Length < 256) header.Append((char)b);
                    continue;
                }
                // Data row: "N, tx, rx, value" — only the field after the third comma matters.
                if (b == (byte)',')
                {
                    state.Commas++;
                    state.Integer = 0;
                    state.Fraction = 0;
                    state.FractionDigits = -1;
                    state.Digits = 0;
                    continue;
                }
                if (state.Commas < 3) continue;
                if (b is >= (byte)'0' and <= (byte)'9')
                {
                    state.Digits++;
                    if (state.FractionDigits < 0)
                    {
                        if (state.Integer > 100_000_000_000) state.Bad = true; // beyond any latency: garbage
                        else state.Integer = state.Integer * 10 + (b - '0');
                    }
                    else if (state.FractionDigits < 4)
                    {
                        // keep one digit beyond nanoseconds for rounding
                        state.Fraction = state.Fraction * 10 + (b - '0');
                        state.FractionDigits++;
                    }
                }
                else if (b == (byte)'.')
                {
                    if (state.FractionDigits >= 0) state.Bad = true;
                    state.FractionDigits = 0;
                }
                else if (b is (byte)' ' or (byte)'\r' or (byte)'\t')
                {
                    // padding
                }
                else
                {
                    state.Bad = true; // '-' (a lost reply), letters …
                }
            }
        }
        EndLine(ref state, distribution, header, ref rows, ref malformed, ref kind);
        return new Result { LatencyKind = kind, Rows = rows, Malformed = malformed };
    }

    private struct LineState
    {
        public int Position;
        public bool IsData;
        public int Commas;
        public long Integer;
        public long Fraction;
        public int FractionDigits;
        public int Digits;
        public bool Bad;
    }

    private static void EndLine(ref LineState s, LatencyDistribution distribution, System.Text.StringBuilder header,
        ref long rows, ref long malformed, ref string? kind)
    {
        if (s.IsData)
        {
            if (s.Commas == 3 && !s.Bad && s.Digits > 0)
            {
                long ns = s.Integer * 1000;
                if (s.FractionDigits > 0)
                {
                    long f = s.Fraction;
                    int d = s.FractionDigits;
                    // scale to 4 decimals (tenths of a nanosecond), then round to whole nanoseconds
                    for (; d < 4; d++) f *= 10;
                    ns += (f + 5) / 10;
                }
                distribution.RecordNanoseconds(ns);
                rows++;
            }
            else
            {
                malformed++;
            }
        }
        else if (s.Position > 0 && kind is null && header.Length > 0)
        {
            string line = header.ToString();
            if (line.StartsWith("packet", StringComparison.Ordinal))
            {
                if (line.Contains("rtt(", StringComparison.Ordinal)) kind = "RoundTrip";
                else if (line.Contains("latency(", StringComparison.Ordinal)) kind = "OneWay";
            }
        }
        header.Clear();
        s = default;
    }
}
