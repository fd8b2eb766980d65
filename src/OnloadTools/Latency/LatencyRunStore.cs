using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnloadTools.Latency;

/// <summary>
/// The on-disk form of runs: one JSON document per run, with a schema version, written atomically
/// (temporary file, flush, rename) so a crash mid-write never corrupts what was there.
/// </summary>
internal static class LatencyRunStore
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The document stored for one run.</summary>
    public sealed class RunDocument
    {
        public int SchemaVersion { get; set; } = LatencyRun.SchemaVersion;
        public string Kind { get; set; } = "OnloadTools.LatencyRun";
        public LatencyRun? Run { get; set; }
    }

    public static string Serialize(LatencyRun run, bool indented = true)
    {
        var options = indented ? JsonOptions : new JsonSerializerOptions(JsonOptions) { WriteIndented = false };
        return JsonSerializer.Serialize(new RunDocument { Run = run }, options);
    }

    /// <exception cref="InvalidDataException">Not a run document, or of a newer schema.</exception>
    public static LatencyRun Deserialize(string json)
    {
        RunDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize<RunDocument>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("Not a valid OnloadTools run document: " + e.Message, e);
        }
        if (doc?.Run is null) throw new InvalidDataException("The document holds no OnloadTools run.");
        if (doc.SchemaVersion > LatencyRun.SchemaVersion)
        {
            throw new InvalidDataException($"The document has schema version {doc.SchemaVersion}; this module reads up to {LatencyRun.SchemaVersion}.");
        }
        return doc.Run;
    }

    /// <summary>The file name a run is kept under in a history folder: sortable by time.</summary>
    public static string FileNameFor(LatencyRun run)
    {
        string safeLabel = new string(run.Label.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
        if (safeLabel.Length == 0) safeLabel = "run";
        return $"{run.StartTime:yyyyMMdd'T'HHmmss'Z'}_{safeLabel}_{run.TestName}_{run.RunId[..Math.Min(8, run.RunId.Length)]}.json";
    }

    /// <summary>Writes (or replaces) the run's file in <paramref name="directory"/> atomically; returns its path.</summary>
    public static string SaveToDirectory(LatencyRun run, string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileNameFor(run));
        WriteAtomically(path, Serialize(run));
        return path;
    }

    /// <summary>True when a path names an append-only history file (one compact JSON document per line).</summary>
    public static bool IsLinesFile(string path) => path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Writes a run to a history: a .jsonl file gets one more line (appended, flushed to disk; existing lines are
    /// never rewritten), anything else is a folder that gets (or updates) the run's own file, atomically.
    /// Returns the file written.
    /// </summary>
    public static string Export(LatencyRun run, string path)
    {
        if (IsLinesFile(path))
        {
            AppendLine(run, path);
            return path;
        }
        return SaveToDirectory(run, path);
    }

    /// <summary>Appends one compact line and fsyncs. A torn last line left by a crash is closed off first, so it stays
    /// the only casualty (Import skips it with a warning).</summary>
    public static void AppendLine(LatencyRun run, string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        byte[] line = System.Text.Encoding.UTF8.GetBytes(Serialize(run, indented: false) + "\n");
        using var stream = OpenExclusive(path);
        if (stream.Length > 0)
        {
            stream.Seek(-1, SeekOrigin.End);
            if (stream.ReadByte() != '\n')
            {
                stream.Seek(0, SeekOrigin.End);
                stream.WriteByte((byte)'\n');
            }
        }
        stream.Seek(0, SeekOrigin.End);
        stream.Write(line);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Opens for appending with an exclusive lock (flock on Linux), so concurrent writers (two jobs exporting
    /// to one history) take turns instead of interleaving; waits up to about 10 s for the lock.</summary>
    private static FileStream OpenExclusive(string path)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 200 && File.Exists(path))
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>One run read back, and where from.</summary>
    public sealed record LoadedRun(LatencyRun Run, string Path, int? Line);

    /// <summary>Something in a history that could not be read: a corrupt file or line, or a torn last line.</summary>
    public sealed record LoadProblem(string Path, int? Line, string Message, bool TornTail);

    public sealed class LoadResult
    {
        public List<LoadedRun> Runs { get; } = new();
        public List<LoadProblem> Problems { get; } = new();
    }

    /// <summary>
    /// Reads a run file, a .jsonl history or a folder of them (its *.json and *.jsonl files; leftover *.tmp files of
    /// interrupted atomic writes are ignored). Never throws for bad content: each problem is reported, the rest loads.
    /// </summary>
    public static LoadResult Load(string path, LoadResult? into = null)
    {
        var result = into ?? new LoadResult();
        if (Directory.Exists(path))
        {
            foreach (string file in Directory.EnumerateFiles(path)
                         .Where(f => f.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || IsLinesFile(f))
                         .Order(StringComparer.Ordinal))
            {
                LoadFile(file, result);
            }
            return result;
        }
        LoadFile(path, result);
        return result;
    }

    private static void LoadFile(string file, LoadResult result)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            result.Problems.Add(new LoadProblem(file, null, e.Message, false));
            return;
        }
        if (!IsLinesFile(file))
        {
            try
            {
                result.Runs.Add(new LoadedRun(Deserialize(text), file, null));
            }
            catch (InvalidDataException e)
            {
                result.Problems.Add(new LoadProblem(file, null, e.Message, false));
            }
            return;
        }
        string[] lines = text.Split('\n');
        bool endsClean = text.Length == 0 || text[^1] == '\n';
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            bool last = i == lines.Length - 1;
            try
            {
                result.Runs.Add(new LoadedRun(Deserialize(line), file, i + 1));
            }
            catch (InvalidDataException e)
            {
                // A line without its newline that does not parse: a write cut short by a crash. Every other bad line
                // is corruption. A torn line that a later append closed off is also only the tail of its write.
                bool torn = (last && !endsClean) || !line.TrimEnd().EndsWith('}');
                result.Problems.Add(new LoadProblem(file, i + 1, e.Message, torn));
            }
        }
    }

    public static void WriteAtomically(string path, string content)
    {
        string tmp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
