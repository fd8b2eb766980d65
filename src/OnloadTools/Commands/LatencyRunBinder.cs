using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Reflection;
using System.Text.RegularExpressions;

namespace OnloadTools.Commands;

/// <summary>The input is not something a LatencyRun can be made from (NotALatencyRun), or a run holding a value no
/// measurement can produce (LatencyRunImpossibleValue): <see cref="ErrorId"/> and <see cref="Category"/> say which.</summary>
internal sealed class LatencyRunBindingException(string message, object? input,
    string errorId = ErrorIds.NotALatencyRun, ErrorCategory category = ErrorCategory.InvalidArgument) : ArgumentException(message)
{
    public object? Input { get; } = input;
    public string ErrorId { get; } = errorId;
    public ErrorCategory Category { get; } = category;
}

/// <summary>
/// Turns what cmdlets that take runs receive into LatencyRun objects: live runs (bare or PSObject-wrapped),
/// Deserialized.OnloadTools.LatencyRun property bags from Invoke-Command / Import-Clixml (samples as
/// Deserialized.OnloadTools.LatencySample bags, or as strings when serialized at depth 1), PSCustomObjects
/// with the same properties (ConvertFrom-Json) and hashtables. Every run it returns, live ones included, passed
/// <see cref="LatencyRun.FindImpossibleValue"/>: what Import-LatencyRun refuses in a file, no cmdlet takes from a pipeline.
/// </summary>
internal static class LatencyRunBinder
{
    private static readonly PropertyInfo[] RunProperties = Settable(typeof(LatencyRun));
    private static readonly PropertyInfo[] SampleProperties = Settable(typeof(LatencySample));

    /// <summary>Flattens arrays and collections (one level or more) into their elements; PSObjects stay whole.</summary>
    public static IEnumerable<object?> Flatten(object? input)
    {
        object? bare = input is PSObject pso && pso.BaseObject is not PSCustomObject ? pso.BaseObject : input;
        if (bare is IEnumerable seq and not string and not IDictionary)
        {
            foreach (object? item in seq)
            {
                foreach (object? inner in Flatten(item)) yield return inner;
            }
            yield break;
        }
        yield return input;
    }

    /// <summary>Converts one object; <paramref name="lossy"/> is set when samples arrived as text.</summary>
    /// <exception cref="LatencyRunBindingException">Not a run, or a run holding an impossible value.</exception>
    public static LatencyRun Bind(object? input, out bool lossy)
    {
        var run = Construct(input, out lossy);
        if (run.FindImpossibleValue() is { } impossible)
        {
            throw new LatencyRunBindingException($"Run {run.RunId} ({run.Label} {run.TestName}) is refused: {impossible}", input,
                ErrorIds.LatencyRunImpossibleValue, ErrorCategory.InvalidData);
        }
        return run;
    }

    private static LatencyRun Construct(object? input, out bool lossy)
    {
        lossy = false;
        switch (input)
        {
            case null:
                throw new LatencyRunBindingException("A null value is not a LatencyRun.", null);
            case LatencyRun live:
                return live;
            case PSObject { BaseObject: LatencyRun wrapped }:
                return wrapped;
        }

        Func<string, (bool Found, object? Value)> get;
        string description;
        if (input is PSObject bag)
        {
            description = bag.TypeNames.Count > 0 ? bag.TypeNames[0] : bag.BaseObject.GetType().FullName!;
            bool isRun = bag.TypeNames.Any(t => t.EndsWith("OnloadTools.LatencyRun", StringComparison.OrdinalIgnoreCase));
            if (!isRun && bag.BaseObject is IDictionary dict)
            {
                get = FromDictionary(dict);
                description = "hashtable";
            }
            else
            {
                if (!isRun && bag.BaseObject is not PSCustomObject) throw NotARun(input, description);
                get = FromBag(bag, out _);
                if (!isRun && (!get("TestName").Found || !get("Samples").Found)) throw NotARun(input, description);
            }
        }
        else if (input is IDictionary dictionary)
        {
            get = FromDictionary(dictionary);
            description = "hashtable";
        }
        else
        {
            throw NotARun(input, input.GetType().FullName ?? input.GetType().Name);
        }

        if (get("TestName").Value is not { } testName || string.IsNullOrWhiteSpace(Unwrap(testName)?.ToString()))
        {
            throw new LatencyRunBindingException($"The {description} has no TestName, so it is not a LatencyRun.", input);
        }

        var run = new LatencyRun();
        foreach (var p in RunProperties)
        {
            if (p.Name == nameof(LatencyRun.Samples)) continue;
            var (found, value) = get(p.Name);
            if (found) Assign(run, p, value, description);
        }
        var samples = new List<LatencySample?>();
        var (hasSamples, rawSamples) = get(nameof(LatencyRun.Samples));
        if (hasSamples && Unwrap(rawSamples) is null)
        {
            run.Samples = null!;   // refused by FindImpossibleValue, as "samples": null is in a file
            return run;
        }
        if (hasSamples && Unwrap(rawSamples) is { } samplesValue)
        {
            foreach (object? item in Flatten(samplesValue))
            {
                // A null sample is kept as null: FindImpossibleValue refuses the run, as it refuses "samples": [null] in a file.
                samples.Add(item is null ? null : BindSample(item, run, ref lossy));
            }
        }
        run.Samples = samples.ToArray()!;
        return run;
    }

    public static LatencyRun Bind(object? input) => Bind(input, out _);

    private static LatencySample BindSample(object item, LatencyRun run, ref bool lossy)
    {
        object? bare = Unwrap(item);
        Func<string, (bool Found, object? Value)>? get = null;
        if (item is PSObject { BaseObject: PSCustomObject } bag)
        {
            get = FromBag(bag, out int count);
            // Serialized one level too shallow: a property-less bag that only remembers its ToString().
            if (count == 0) bare = bag.ToString();
        }
        switch (bare)
        {
            case LatencySample live:
                return live;
            case string text:
                lossy = true;
                return FromText(text, run);
        }
        get ??= bare switch
        {
            IDictionary dict => FromDictionary(dict),
            _ => throw new LatencyRunBindingException($"A sample of type {bare?.GetType().FullName} in run {run.RunId} is not a LatencySample.", item),
        };
        var sample = new LatencySample();
        foreach (var p in SampleProperties)
        {
            var (found, value) = get(p.Name);
            if (found) Assign(sample, p, value, "sample");
        }
        return sample;
    }

    private static readonly Regex SampleText = new(
        @"^(?<test>\S+) #(?<iter>\d+): mean (?<mean>[-+0-9.eE]+|-) µs, p99 (?<p99>[-+0-9.eE]+|-) µs$", RegexOptions.CultureInvariant);

    /// <summary>A sample serialized too shallow arrives as its ToString(): recover the iteration, mean and p99.</summary>
    private static LatencySample FromText(string text, LatencyRun run)
    {
        var m = SampleText.Match(text.Trim());
        if (!m.Success)
        {
            throw new LatencyRunBindingException($"Run {run.RunId} holds a sample as text that is not a LatencySample: '{text}'.", text);
        }
        return new LatencySample
        {
            TestName = m.Groups["test"].Value,
            Iteration = int.Parse(m.Groups["iter"].Value, CultureInfo.InvariantCulture),
            Label = run.Label,
            MeanLatency = Latency.InvariantNumber.Double(m.Groups["mean"].Value),
            P99Latency = Latency.InvariantNumber.Double(m.Groups["p99"].Value),
        };
    }

    private static void Assign(object target, PropertyInfo p, object? value, string description)
    {
        value = Unwrap(value);
        if (value is null)
        {
            if (!p.PropertyType.IsValueType || Nullable.GetUnderlyingType(p.PropertyType) is not null) p.SetValue(target, null);
            return;
        }
        try
        {
            Type type = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
            object converted;
            if (value.GetType() == type)
            {
                converted = value;   // the usual case for deserialized bags: double, int, string, DateTime as they were
            }
            else if (type == typeof(string[]))
            {
                converted = Flatten(value).Select(v => Unwrap(v)?.ToString() ?? "").ToArray();
            }
            else if (type == typeof(HostFacts))
            {
                // A bag (Deserialized.OnloadTools.HostFacts, a PSCustomObject from JSON) or a hashtable; text (a run
                // serialized too shallow) holds no facts to recover, so the run has none rather than being refused.
                if (value is string) { p.SetValue(target, null); return; }
                converted = BindFacts(value, description);
            }
            else if (type == typeof(DateTime) && value is string s)
            {
                converted = DateTime.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
            }
            else
            {
                converted = LanguagePrimitives.ConvertTo(value, type, CultureInfo.InvariantCulture);
            }
            p.SetValue(target, converted);
        }
        catch (Exception e) when (e is PSInvalidCastException or InvalidCastException or FormatException or ArgumentException)
        {
            throw new LatencyRunBindingException($"Property {p.Name} of the {description} has the value '{value}', which is not a {p.PropertyType.Name}.", value);
        }
    }

    private static readonly PropertyInfo[] FactProperties = Settable(typeof(HostFacts));

    private static HostFacts BindFacts(object value, string description)
    {
        Func<string, (bool Found, object? Value)> get = value switch
        {
            PSObject bag when bag.BaseObject is IDictionary d => FromDictionary(d),
            PSObject bag => FromBag(bag, out _),
            IDictionary d => FromDictionary(d),
            _ => throw new InvalidCastException(),
        };
        var facts = new HostFacts();
        foreach (var p in FactProperties)
        {
            var (found, v) = get(p.Name);
            if (found) Assign(facts, p, v, description + "'s HostFacts");
        }
        return facts;
    }

    private static object? Unwrap(object? value) => value is PSObject pso && pso.BaseObject is not PSCustomObject ? pso.BaseObject : value;

    /// <summary>Reads a property bag's properties once (looking each name up in a PSObject is slow: 30-iteration runs
    /// by the thousand arrive from remoting).</summary>
    private static Func<string, (bool, object?)> FromBag(PSObject bag, out int count)
    {
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (PSPropertyInfo property in bag.Properties)
        {
            if (values.ContainsKey(property.Name)) continue;
            object? value;
            try { value = property.Value; }
            catch (GetValueException) { continue; }
            values[property.Name] = value;
        }
        count = values.Count;
        return name => values.TryGetValue(name, out object? v) ? (true, v) : (false, null);
    }

    private static Func<string, (bool, object?)> FromDictionary(IDictionary dict) => name =>
    {
        foreach (DictionaryEntry e in dict)
        {
            if (string.Equals(e.Key?.ToString(), name, StringComparison.OrdinalIgnoreCase)) return (true, e.Value);
        }
        return (false, null);
    };

    private static LatencyRunBindingException NotARun(object input, string type) =>
        new($"Input of type {type} is not a LatencyRun. Pass runs from Measure-NetperfLatency, Measure-SockperfLatency or " +
            "Import-LatencyRun (live, or deserialized from Invoke-Command / Import-Clixml), or hashtables with TestName and Samples.", input);

    private static PropertyInfo[] Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetSetMethod() is not null).ToArray();
}
