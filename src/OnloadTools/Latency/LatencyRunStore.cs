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
        public string Kind { get; set; } = LatencyRunKind;
        public LatencyRun? Run { get; set; }
    }

    public static string Serialize(LatencyRun run, bool indented = true)
    {
        var options = indented ? JsonOptions : new JsonSerializerOptions(JsonOptions) { WriteIndented = false };
        return JsonSerializer.Serialize(new RunDocument { Run = run }, options);
    }

    /// <summary>The kind of a latency run's document (also the kind of documents written before kinds were checked).</summary>
    public const string LatencyRunKind = "OnloadTools.LatencyRun";

    /// <summary>The kind of a Measure-HostJitter run's document: it shares histories with latency runs.</summary>
    public const string HostJitterRunKind = "OnloadTools.HostJitterRun";

    /// <summary>The document stored for one jitter run: the run as <see cref="HostJitterRun"/> holds it, in the
    /// history's own JSON style (camelCase, like the latency runs beside it), under its own kind and schema version.</summary>
    public sealed class JitterDocument
    {
        public int SchemaVersion { get; set; } = HostJitterRun.CurrentSchemaVersion;
        public string Kind { get; set; } = HostJitterRunKind;
        public HostJitterRun? Run { get; set; }
    }

    /// <summary>A jitter run's names are read in any case, so that a run's own JSON (<see cref="HostJitterRun.ToJson"/>,
    /// PascalCase) wrapped as {"schemaVersion":1,"kind":"OnloadTools.HostJitterRun","run":…} is a history line too.</summary>
    private static readonly JsonSerializerOptions JitterReadOptions = new(JsonOptions) { PropertyNameCaseInsensitive = true };

    public static string Serialize(HostJitterRun run, bool indented = true)
    {
        var options = indented ? JsonOptions : new JsonSerializerOptions(JsonOptions) { WriteIndented = false };
        return JsonSerializer.Serialize(new JitterDocument { Run = run }, options);
    }

    /// <summary>
    /// The kind of a history document: its "kind" member (<see cref="LatencyRunKind"/>, <see cref="HostJitterRunKind"/>,
    /// or another module's); a document without one is a latency run (as every document was before jitter runs).
    /// Null when the text is not a JSON object (the caller's parse says why).
    /// </summary>
    public static string? KindOf(string json)
    {
        try
        {
            var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json), new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isKind = reader.ValueTextEquals("kind");
                if (!reader.Read()) return null;
                if (isKind) return reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : "";
                reader.Skip();
            }
            return LatencyRunKind;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A jitter run read back from its document.</summary>
    /// <exception cref="InvalidDataException">Not a jitter run document, of a newer schema, or holding a value no measurement can produce.</exception>
    public static HostJitterRun DeserializeJitter(string json)
    {
        JitterDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize<JitterDocument>(json, JitterReadOptions);
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is { } line ? $" at line {line + 1}, byte {(e.BytePositionInLine ?? 0) + 1}" : "";
            string member = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" ({e.Path})";
            throw new InvalidDataException($"Not a valid OnloadTools jitter run document: the JSON is malformed or of the wrong shape{where}{member}.", e);
        }
        if (doc?.Run is null) throw new InvalidDataException("The document holds no OnloadTools jitter run.");
        if (doc.SchemaVersion > HostJitterRun.CurrentSchemaVersion)
        {
            throw new InvalidDataException($"The jitter run document has schema version {doc.SchemaVersion}; this module reads up to {HostJitterRun.CurrentSchemaVersion}.");
        }
        if (Jitter.HostJitterRunRules.FindImpossibleValue(doc.Run) is { } impossible)
        {
            throw new InvalidDataException($"The jitter run holds an impossible value: {impossible}");
        }
        return doc.Run;
    }

    /// <exception cref="ImpossibleValueException">A run document whose run holds a value no measurement can produce.</exception>
    /// <exception cref="InvalidDataException">Not a run document, or of a newer schema.</exception>
    public static LatencyRun Deserialize(string json) => Deserialize(json, KindOf(json));

    private static LatencyRun Deserialize(string json, string? kind)
    {
        if (kind is not null && kind != LatencyRunKind)
        {
            throw new InvalidDataException(kind == HostJitterRunKind
                ? "The document is a jitter run (Measure-HostJitter), not a latency run: Import-HostJitterRun reads it."
                : kind.Length <= 64 && kind.All(c => char.IsAsciiLetterOrDigit(c) || c == '.')
                    ? $"The document is of kind '{kind}', which this module does not know."
                    : "The document is of a kind this module does not know.");
        }
        RunDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize<RunDocument>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            // The parser's own message quotes the offending character: a file that is not ours (a link to a secret)
            // must not have its content echoed into an error. Where, never what.
            string where = e.LineNumber is { } line ? $" at line {line + 1}, byte {(e.BytePositionInLine ?? 0) + 1}" : "";
            string member = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" ({e.Path})";
            throw new InvalidDataException($"Not a valid OnloadTools run document: the JSON is malformed or of the wrong shape{where}{member}.", e);
        }
        if (doc?.Run is null) throw new InvalidDataException("The document holds no OnloadTools run.");
        if (doc.SchemaVersion > LatencyRun.SchemaVersion)
        {
            throw new InvalidDataException($"The document has schema version {doc.SchemaVersion}; this module reads up to {LatencyRun.SchemaVersion}.");
        }
        if (doc.Run.FindImpossibleValue() is { } impossible) throw new ImpossibleValueException(impossible);
        return doc.Run;
    }

    /// <summary>
    /// The file name a run is kept under in a history folder: sortable by time. Every part comes from a safe alphabet
    /// (letters, digits, '-', '_'): runs arrive from .jsonl files and other hosts, and a TestName such as
    /// 'a/../../outside/' must never name a place outside the folder. The name holds the whole RunId, so two runs share a
    /// file only when they are one run (saved again after its next iteration): a RunId that had to be cleaned or cut
    /// short is followed by a hash of the original, so 'a/b' and 'a-b' stay apart.
    /// </summary>
    public static string FileNameFor(LatencyRun run)
    {
        string id = Safe(run.RunId, "run");
        if (!string.Equals(id, run.RunId, StringComparison.Ordinal))
        {
            byte[] hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(run.RunId ?? ""));
            id = id[..Math.Min(40, id.Length)] + "-" + Convert.ToHexString(hash, 0, 8).ToLowerInvariant();
        }
        return $"{run.StartTime:yyyyMMdd'T'HHmmss'Z'}_{Safe(run.Label, "run")}_{Safe(run.TestName, "test")}_{id}.json";
    }

    /// <summary>The file name a jitter run is kept under in a history folder: sortable by time beside the latency runs,
    /// from the same safe alphabet ("20261207T020000Z_jitter_host_oslat_1a2b3c4d5e6f.json").</summary>
    public static string FileNameFor(HostJitterRun run)
    {
        string id = Safe(run.RunId, "run");
        if (!string.Equals(id, run.RunId, StringComparison.Ordinal))
        {
            byte[] hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(run.RunId ?? ""));
            id = id[..Math.Min(40, id.Length)] + "-" + Convert.ToHexString(hash, 0, 8).ToLowerInvariant();
        }
        return $"{run.StartTime.ToUniversalTime():yyyyMMdd'T'HHmmss'Z'}_jitter_{Safe(run.HostName, "host")}_{Safe(run.Tool, "tool")}_{id}.json";
    }

    private static string Safe(string? text, string fallback)
    {
        string safe = new string((text ?? "").Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
        if (safe.Length > 64) safe = safe[..64];
        return safe.Trim('-').Length == 0 ? fallback : safe;
    }

    /// <summary>Writes (or replaces) the run's file in <paramref name="directory"/> atomically; returns its path.</summary>
    public static string SaveToDirectory(LatencyRun run, string directory) => SaveToDirectory(FileNameFor(run), Serialize(run), directory);

    private static string SaveToDirectory(string fileName, string content, string directory)
    {
        Directory.CreateDirectory(directory);
        string full = Path.GetFullPath(directory);
        string path = Path.Combine(full, fileName);
        if (!string.Equals(Path.GetDirectoryName(path), Path.TrimEndingDirectorySeparator(full), StringComparison.Ordinal))
        {
            throw new IOException($"Refusing to write '{path}': it is not directly inside '{full}'.");
        }
        WriteAtomically(path, content);
        return path;
    }

    /// <summary>True when a path names an append-only history file (one compact JSON document per line).</summary>
    public static bool IsLinesFile(string path) => path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why a path cannot be a history.</summary>
    public enum HistoryPathIssue
    {
        /// <summary>An existing file not ending in .jsonl (a folder history was meant).</summary>
        IsAFile,
        /// <summary>A path ending in .json: one run's file, not a history.</summary>
        SingleJsonFile,
        /// <summary>A .jsonl path that is a folder.</summary>
        IsAFolder,
        /// <summary>A .jsonl path that exists but is not a regular file (FIFO, device …).</summary>
        NotRegularFile,
        /// <summary>The place cannot be written (permissions, read-only file system, a file where a folder is needed).</summary>
        NotWritable,
    }

    public sealed record HistoryPathProblem(HistoryPathIssue Issue, string Message);

    /// <summary>
    /// Checks that <paramref name="path"/> can be a history before anything is measured or written: a folder (existing
    /// or to be created) or a .jsonl file. With <paramref name="probeWrite"/>, also proves it can be written: creates
    /// the folder (as the first save would) and a temporary file in it, removed at once; an existing .jsonl is opened
    /// for appending and closed unchanged.
    /// </summary>
    public static HistoryPathProblem? CheckHistoryPath(string path, bool probeWrite)
    {
        bool lines = IsLinesFile(path);
        if (lines)
        {
            if (Directory.Exists(path))
                return new(HistoryPathIssue.IsAFolder, $"'{path}' is a folder. A history is a folder (one file per run) or a file whose name ends in .jsonl; give the folder without .jsonl or a file name inside it.");
            if (new FileInfo(path).LinkTarget is not null)
                return new(HistoryPathIssue.NotRegularFile, $"'{path}' cannot be a history: it is a symbolic link, and a history file is written only where it is, never through a link. Give the link's target instead.");
            if (File.Exists(path))
            {
                try
                {
                    using var probe = Host.RegularFile.OpenRead(path, long.MaxValue, followSymlinks: false, out _);
                }
                catch (Host.RegularFileException e)
                {
                    return new(HistoryPathIssue.NotRegularFile, $"'{path}' cannot be a history: {e.Message}");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Unreadable is judged below by the write probe, which is what a history needs.
                }
                if (!probeWrite) return null;
                for (int attempt = 0; ; attempt++)
                {
                    try
                    {
                        using var append = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                        return null;
                    }
                    catch (IOException) when (attempt < 40)
                    {
                        Thread.Sleep(50);   // another writer's append holds the lock for a moment
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        return NotWritable(path, e);
                    }
                }
            }
        }
        else
        {
            if (File.Exists(path))
                return new(HistoryPathIssue.IsAFile, $"'{path}' is a file. A history is a folder (one file per run) or a file whose name ends in .jsonl (one line per run, appended).");
            if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !Directory.Exists(path))
                return new(HistoryPathIssue.SingleJsonFile, $"'{path}' looks like a single JSON file. Give a folder (one file per run) or a path ending in .jsonl (one line per run, appended).");
        }
        if (!probeWrite) return null;
        string folder = lines ? Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/" : Path.GetFullPath(path);
        try
        {
            Directory.CreateDirectory(folder);
            string probe = Path.Combine(folder, ".onloadtools-write-test-" + Guid.NewGuid().ToString("N")[..8] + ".tmp");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return NotWritable(lines ? path : folder, e);
        }
    }

    private static HistoryPathProblem NotWritable(string path, Exception e) =>
        new(HistoryPathIssue.NotWritable, $"Cannot write the history '{path}': {e.Message}");

    /// <summary>
    /// Writes a run to a history: a .jsonl file gets one more line (appended, flushed to disk; existing lines are
    /// never rewritten), anything else is a folder that gets (or updates) the run's own file, atomically.
    /// Returns the file written. A run holding an impossible value (<see cref="LatencyRun.FindImpossibleValue"/>) is
    /// never written.
    /// </summary>
    /// <exception cref="IOException">The write failed, or the run holds an impossible value (an
    /// <see cref="ImpossibleValueException"/> is its inner exception).</exception>
    public static string Export(LatencyRun run, string path)
    {
        if (run.FindImpossibleValue() is { } impossible)
        {
            throw new IOException($"Run {run.RunId} was not saved: {impossible}", new ImpossibleValueException(impossible));
        }
        if (IsLinesFile(path))
        {
            AppendLine(run, path);
            return path;
        }
        return SaveToDirectory(run, path);
    }

    /// <summary>
    /// Writes a jitter run to a history exactly as <see cref="Export(LatencyRun, string)"/> writes a latency run: one
    /// more line of a .jsonl file (appended, fsynced, a torn last line closed off first), or its own file in a folder,
    /// written atomically. Returns the file written. A run holding an impossible value is never written.
    /// </summary>
    /// <exception cref="IOException">The write failed, or the run holds an impossible value.</exception>
    public static string Export(HostJitterRun run, string path)
    {
        if (Jitter.HostJitterRunRules.FindImpossibleValue(run) is { } impossible)
        {
            throw new IOException($"Jitter run {run.RunId} was not saved: it holds an impossible value: {impossible}");
        }
        if (IsLinesFile(path))
        {
            AppendText(Serialize(run, indented: false), path);
            return path;
        }
        return SaveToDirectory(FileNameFor(run), Serialize(run), path);
    }

    /// <summary>The line written after a torn last line when the next append closes it off: it tells readers that the
    /// line before it is the remains of an interrupted write (a warning), not corruption (an error).</summary>
    public const string TornWriteMarker = "{\"kind\":\"OnloadTools.TornWrite\",\"schemaVersion\":1}";

    /// <summary>Appends one compact line and fsyncs. A torn last line left by a crash is closed off first and marked as
    /// such, so it stays the only casualty (Import skips it with a warning). A failed write (full disk) is rolled back:
    /// the file keeps exactly the lines it had. The file is never reached through a symbolic or hard link
    /// (<see cref="Host.RegularFile.OpenForAppend"/>): whoever can write the folder cannot aim the append elsewhere.</summary>
    public static void AppendLine(LatencyRun run, string path) => AppendText(Serialize(run, indented: false), path);

    /// <summary>Appends one compact document as a line (see <see cref="AppendLine"/>): every kind of run goes through here.</summary>
    private static void AppendText(string document, string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        string text = document + "\n";
        using var stream = Host.RegularFile.OpenForAppend(path, TimeSpan.FromSeconds(10));
        long before = stream.Length;
        if (before > 0)
        {
            stream.Seek(-1, SeekOrigin.End);
            if (stream.ReadByte() != '\n') text = "\n" + TornWriteMarker + "\n" + text;
        }
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
        try
        {
            stream.Seek(0, SeekOrigin.End);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        catch (IOException e)
        {
            // The stream is unbuffered: nothing of the failed write is pending, so the truncate cannot fail on it again.
            try
            {
                stream.SetLength(before);
                stream.Flush(flushToDisk: true);
            }
            catch (IOException rollback)
            {
                throw new IOException($"Could not append to '{path}': {e.Message}. Removing the partial line also failed ({rollback.Message}): the next append closes it off and marks it as interrupted.", e);
            }
            throw new IOException($"Could not append to '{path}': {e.Message}. The file keeps exactly the lines it had.", e);
        }
    }

    /// <summary>The largest file Load reads (a run is a few KB; a year of nightly runs is a few MB).</summary>
    public const long MaxFileBytes = 256L * 1024 * 1024;

    /// <summary>The longest line of a .jsonl history Load parses.</summary>
    public const int MaxLineBytes = 16 * 1024 * 1024;

    /// <summary>One run read back, and where from.</summary>
    public sealed record LoadedRun(LatencyRun Run, string Path, int? Line);

    /// <summary>One jitter run read back, and where from.</summary>
    public sealed record LoadedJitterRun(HostJitterRun Run, string Path, int? Line);

    /// <summary>What kind of trouble a file or line of a history is in.</summary>
    public enum ProblemKind
    {
        /// <summary>Not a run document (bad JSON, no run, newer schema): an error.</summary>
        Corrupt,
        /// <summary>A well-formed run holding a value no measurement can produce (<see cref="ImpossibleValueException"/>): an error.</summary>
        Impossible,
        /// <summary>The last line of a .jsonl was cut short by a crash (or closed off by a later append): a warning.</summary>
        TornTail,
        /// <summary>The end of a .jsonl is being written by another process right now: not read, not corrupt.</summary>
        Busy,
        /// <summary>A symbolic link, FIFO, device or folder: not read.</summary>
        NotRegular,
        /// <summary>Larger than <see cref="MaxFileBytes"/> (or a line larger than <see cref="MaxLineBytes"/>): not read.</summary>
        TooLarge,
        /// <summary>The file cannot be read (permissions, I/O error).</summary>
        Unreadable,
    }

    /// <summary>Something in a history that could not be read.</summary>
    public sealed record LoadProblem(string Path, int? Line, string Message, ProblemKind Kind)
    {
        public bool TornTail => Kind == ProblemKind.TornTail;
    }

    public sealed class LoadResult
    {
        public List<LoadedRun> Runs { get; } = new();
        /// <summary>The jitter runs (Measure-HostJitter -HistoryPath) of the same histories.</summary>
        public List<LoadedJitterRun> JitterRuns { get; } = new();
        public List<LoadProblem> Problems { get; } = new();
    }

    /// <summary>Reads one document of either kind into <paramref name="result"/>.</summary>
    /// <exception cref="InvalidDataException">Not a run document of a kind this module knows.</exception>
    /// <exception cref="ImpossibleValueException">A latency run holding an impossible value.</exception>
    private static void Read(string json, string file, int? line, LoadResult result)
    {
        string? kind = KindOf(json);
        if (kind == HostJitterRunKind) result.JitterRuns.Add(new LoadedJitterRun(DeserializeJitter(json), file, line));
        else result.Runs.Add(new LoadedRun(Deserialize(json, kind), file, line));
    }

    /// <summary>
    /// Reads a run file, a .jsonl history or a folder of them (its *.json and *.jsonl files; leftover *.tmp files of
    /// interrupted atomic writes are ignored). Histories come from outside: only regular files are read (inside a
    /// folder, symbolic links are not followed), each up to <see cref="MaxFileBytes"/>, and a file being appended to
    /// by another process is read up to its last complete line. Never throws for bad content: each problem is
    /// reported, the rest loads.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was tripped.</exception>
    public static LoadResult Load(string path, LoadResult? into = null, CancellationToken cancellation = default)
    {
        var result = into ?? new LoadResult();
        if (Directory.Exists(path))
        {
            IEnumerable<string> files;
            try
            {
                files = Directory.EnumerateFiles(path)
                    .Where(f => f.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || IsLinesFile(f))
                    .Order(StringComparer.Ordinal)
                    .ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                result.Problems.Add(new LoadProblem(path, null, e.Message, ProblemKind.Unreadable));
                return result;
            }
            foreach (string file in files)
            {
                cancellation.ThrowIfCancellationRequested();
                LoadFile(file, result, followSymlinks: false, cancellation);
            }
            return result;
        }
        LoadFile(path, result, followSymlinks: true, cancellation);
        return result;
    }

    private static void LoadFile(string file, LoadResult result, bool followSymlinks, CancellationToken cancellation)
    {
        try
        {
            using var stream = Host.RegularFile.OpenRead(file, MaxFileBytes, followSymlinks, out long length);
            if (IsLinesFile(file)) LoadLines(file, stream, length, result, cancellation);
            else LoadDocument(file, stream, length, result);
        }
        catch (Host.RegularFileException e)
        {
            result.Problems.Add(new LoadProblem(file, null, e.Message,
                e.Refusal == Host.RegularFileRefusal.TooLarge ? ProblemKind.TooLarge : ProblemKind.NotRegular));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutOfMemoryException)
        {
            result.Problems.Add(new LoadProblem(file, null, e.Message, ProblemKind.Unreadable));
        }
    }

    private static void LoadDocument(string file, FileStream stream, long length, LoadResult result)
    {
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        try
        {
            Read(System.Text.Encoding.UTF8.GetString(bytes), file, null, result);
        }
        catch (Exception e) when (e is InvalidDataException or ImpossibleValueException)
        {
            result.Problems.Add(new LoadProblem(file, null, e.Message, e is ImpossibleValueException ? ProblemKind.Impossible : ProblemKind.Corrupt));
        }
    }

    /// <summary>
    /// Reads a .jsonl history line by line up to the size it had when opened. Only its unterminated end can be torn;
    /// a bad line anywhere else is corruption, unless a later append marked it as the remains of an interrupted write.
    /// </summary>
    private static void LoadLines(string file, FileStream stream, long length, LoadResult result, CancellationToken cancellation)
    {
        // Writers append under an exclusive lock: reading under a shared one sees whole appends only. A writer that
        // keeps the lock longer than this makes the file busy: its complete lines are read, its end is left alone.
        bool busy = !Host.RegularFile.TryLockShared(stream, TimeSpan.FromSeconds(2), cancellation);
        length = stream.Length;   // what was appended while waiting for the lock is part of this read
        if (length > MaxFileBytes)
        {
            result.Problems.Add(new LoadProblem(file, null, $"'{file}' grew past {MaxFileBytes / (1024 * 1024)} MiB; run histories are read up to that size per file.", ProblemKind.TooLarge));
            return;
        }
        // Each complete line (number, text or null when too long), the line after it decides whether a bad one was torn.
        var lines = new List<(int Number, string? Text)>();
        var current = new MemoryStream();
        bool tooLong = false;
        int number = 0;
        var buffer = new byte[64 * 1024];
        long left = length;
        while (left > 0)
        {
            cancellation.ThrowIfCancellationRequested();
            int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) break;   // truncated while we read: what was read is all there is
            left -= n;
            int start = 0;
            for (int i = 0; i < n; i++)
            {
                if (buffer[i] != (byte)'\n') continue;
                Append(buffer.AsSpan(start, i - start));
                number++;
                lines.Add((number, tooLong ? null : System.Text.Encoding.UTF8.GetString(current.GetBuffer(), 0, (int)current.Length)));
                current.SetLength(0);
                tooLong = false;
                start = i + 1;
            }
            Append(buffer.AsSpan(start, n - start));
        }
        if (!busy) Host.RegularFile.Unlock(stream);   // parsing needs no lock: writers wait only for the read
        bool hasTail = current.Length > 0 || tooLong;
        string? tail = hasTail && !tooLong ? System.Text.Encoding.UTF8.GetString(current.GetBuffer(), 0, (int)current.Length) : null;
        // An unterminated end, or a bad last line, while a writer holds the lock: an append in flight, not damage.

        for (int i = 0; i < lines.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var (lineNumber, text) = lines[i];
            if (text is null)
            {
                result.Problems.Add(new LoadProblem(file, lineNumber, $"the line is longer than {MaxLineBytes / (1024 * 1024)} MiB.", ProblemKind.TooLarge));
                continue;
            }
            text = text.TrimEnd('\r');
            if (text.Trim().Length == 0 || text == TornWriteMarker) continue;
            try
            {
                Read(text, file, lineNumber, result);
            }
            catch (Exception e) when (e is InvalidDataException or ImpossibleValueException)
            {
                bool markedTorn = i + 1 < lines.Count && lines[i + 1].Text?.TrimEnd('\r') == TornWriteMarker;
                bool lastAndBusy = busy && i == lines.Count - 1;
                var kind = e is ImpossibleValueException ? ProblemKind.Impossible
                    : markedTorn ? ProblemKind.TornTail : lastAndBusy ? ProblemKind.Busy : ProblemKind.Corrupt;
                result.Problems.Add(new LoadProblem(file, lineNumber, e.Message, kind));
            }
        }
        if (!hasTail) return;
        int tailLine = number + 1;
        if (busy)
        {
            result.Problems.Add(new LoadProblem(file, tailLine, "another process is appending to it; the lines before it were read.", ProblemKind.Busy));
            return;
        }
        if (tail is null)
        {
            result.Problems.Add(new LoadProblem(file, tailLine, $"the line is longer than {MaxLineBytes / (1024 * 1024)} MiB.", ProblemKind.TooLarge));
            return;
        }
        if (tail.Trim().Length == 0) return;
        try
        {
            // A last line whose newline alone is missing is still a whole run.
            Read(tail.TrimEnd('\r'), file, tailLine, result);
        }
        catch (Exception e) when (e is InvalidDataException or ImpossibleValueException)
        {
            result.Problems.Add(new LoadProblem(file, tailLine, e.Message, e is ImpossibleValueException ? ProblemKind.Impossible : ProblemKind.TornTail));
        }

        void Append(ReadOnlySpan<byte> bytes)
        {
            if (tooLong) return;
            if (current.Length + bytes.Length > MaxLineBytes)
            {
                tooLong = true;
                current.SetLength(0);
                return;
            }
            current.Write(bytes);
        }
    }

    /// <summary>Writes through a temporary file (flushed to disk) renamed over <paramref name="path"/>; a failed write
    /// (full disk, I/O error) leaves no temporary file behind and the previous content in place.</summary>
    public static void WriteAtomically(string path, string content)
    {
        string tmp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(content);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
    }
}

/// <summary>A well-formed run that holds a value no measurement can produce; <see cref="Value"/> names the field.</summary>
internal sealed class ImpossibleValueException(ImpossibleValue value)
    : Exception($"The run holds an impossible value: {value}")
{
    public ImpossibleValue Value { get; } = value;
}
