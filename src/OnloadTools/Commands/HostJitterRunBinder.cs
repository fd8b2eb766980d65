using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Reflection;
using OnloadTools.Jitter;
using OnloadTools.Tuning;

namespace OnloadTools.Commands;

/// <summary>The input is not a jitter run or result (NotAHostJitterRun), or one holding an impossible value (HostJitterRunImpossibleValue).</summary>
internal sealed class HostJitterRunBindingException(string message, string errorId = ErrorIds.NotAHostJitterRun,
    ErrorCategory category = ErrorCategory.InvalidArgument) : ArgumentException(message)
{
    public string ErrorId { get; } = errorId;
    public ErrorCategory Category { get; } = category;
}

/// <summary>
/// Turns what the jitter cmdlets receive into HostJitterRun objects: live runs and results, their
/// Deserialized.OnloadTools.* property bags (Invoke-Command, Import-Clixml), PSCustomObjects from ConvertFrom-Json of
/// a run's ToJson, and hashtables. Results (Measure-HostJitter without -AsRun) are gathered into their run by RunId.
/// </summary>
internal static class HostJitterRunBinder
{
    private static readonly PropertyInfo[] RunProperties = Settable(typeof(HostJitterRun));
    private static readonly PropertyInfo[] ResultProperties = Settable(typeof(HostJitterResult));

    /// <summary>True when the item is a jitter run or result (live, deserialized or shaped like one).</summary>
    public static bool IsJitter(object? item) => KindOf(item) is not null;

    /// <summary>"run", "result" or null.</summary>
    private static string? KindOf(object? item)
    {
        object? bare = item is PSObject p ? p.BaseObject : item;
        if (bare is HostJitterRun) return "run";
        if (bare is HostJitterResult) return "result";
        if (item is PSObject bag)
        {
            if (bag.TypeNames.Any(t => t.EndsWith("OnloadTools.HostJitterRun", StringComparison.OrdinalIgnoreCase))) return "run";
            if (bag.TypeNames.Any(t => t.EndsWith("OnloadTools.HostJitterResult", StringComparison.OrdinalIgnoreCase))) return "result";
        }
        var get = Getter(item);
        if (get is null) return null;
        if (get("Results").Found && get("Cpus").Found && get("ThresholdMicroseconds").Found) return "run";
        if (get("Cpu").Found && get("MaximumMicroseconds").Found && get("RunId").Found && !get("Samples").Found) return "result";
        return null;
    }

    /// <summary>The runs among the items, results gathered into their runs (by RunId), in the order first seen.</summary>
    /// <exception cref="HostJitterRunBindingException">An item is not a jitter run or result, or holds an impossible value.</exception>
    public static List<HostJitterRun> Bind(IEnumerable<object?> items)
    {
        var runs = new List<HostJitterRun>();
        var byId = new Dictionary<string, List<HostJitterResult>>(StringComparer.Ordinal);
        var order = new List<object>();
        foreach (object? item in items)
        {
            if (item is null) continue;
            switch (KindOf(item))
            {
                case "run":
                    var run = BindRun(item);
                    runs.Add(run);
                    order.Add(run);
                    break;
                case "result":
                    var r = (HostJitterResult)BindObject(item, new HostJitterResult(), ResultProperties, "jitter result");
                    if (!byId.TryGetValue(r.RunId, out var list))
                    {
                        byId[r.RunId] = list = new List<HostJitterResult>();
                        order.Add(r.RunId);
                    }
                    list.Add(r);
                    break;
                default:
                    throw new HostJitterRunBindingException(
                        $"Input of type {Describe(item)} is not a jitter run. Pass the output of Measure-HostJitter (with or without -AsRun) or Import-HostJitterRun, live or deserialized.");
            }
        }
        var result = new List<HostJitterRun>();
        foreach (object o in order)
        {
            result.Add(o as HostJitterRun ?? FromResults(byId[(string)o]));
        }
        foreach (var run in result)
        {
            if (HostJitterRunRules.FindImpossibleValue(run) is { } bad)
            {
                throw new HostJitterRunBindingException($"Jitter run {run.RunId} is refused: {bad}.", ErrorIds.HostJitterRunImpossibleValue, ErrorCategory.InvalidData);
            }
        }
        return result;
    }

    /// <summary>A run made of the results of one RunId (Measure-HostJitter's default output): no host facts but the host name.</summary>
    private static HostJitterRun FromResults(List<HostJitterResult> results)
    {
        var first = results[0];
        var ordered = results.OrderBy(r => r.Cpu).ToArray();
        return new HostJitterRun
        {
            RunId = first.RunId, HostName = first.HostName, Tool = first.Tool, ToolVersion = first.ToolVersion,
            Cpus = CpuList.Format(ordered.Select(r => r.Cpu).Where(c => c >= 0).ToArray()), Priority = first.Priority,
            DurationSeconds = results.Max(r => r.DurationSeconds), ThresholdMicroseconds = first.ThresholdMicroseconds,
            MaximumMicroseconds = results.Max(r => r.MaximumMicroseconds),
            Verdict = results.All(r => r.Verdict == HostJitterVerdict.Passed) ? HostJitterVerdict.Passed : HostJitterVerdict.Exceeded,
            CommandLine = first.CommandLine, StartTime = results.Min(r => r.StartTime), EndTime = results.Max(r => r.StartTime),
            Results = ordered,
        };
    }

    private static HostJitterRun BindRun(object item)
    {
        object? bare = item is PSObject p ? p.BaseObject : item;
        if (bare is HostJitterRun live) return live;
        var run = (HostJitterRun)BindObject(item, new HostJitterRun(), RunProperties.Where(x => x.Name != nameof(HostJitterRun.Results)), "jitter run");
        var get = Getter(item)!;
        var (found, value) = get(nameof(HostJitterRun.Results));
        var results = new List<HostJitterResult>();
        if (found && Unwrap(value) is { } raw)
        {
            foreach (object? r in Flatten(raw))
            {
                if (r is null) continue;
                if (Unwrap(r) is string)
                {
                    throw new HostJitterRunBindingException($"Jitter run {run.RunId} arrived with its results as text (serialized at depth 1): serialize runs with -Depth 2 or more.");
                }
                results.Add((HostJitterResult)BindObject(r, new HostJitterResult(), ResultProperties, "jitter result"));
            }
        }
        run.Results = results.ToArray();
        return run;
    }

    private static object BindObject(object item, object target, IEnumerable<PropertyInfo> properties, string description)
    {
        object? bare = item is PSObject p ? p.BaseObject : item;
        if (bare?.GetType() == target.GetType()) return bare;
        var get = Getter(item) ?? throw new HostJitterRunBindingException($"Input of type {Describe(item)} is not a {description}.");
        foreach (var prop in properties)
        {
            var (found, value) = get(prop.Name);
            if (!found) continue;
            value = Unwrap(value);
            try
            {
                if (value is null)
                {
                    if (!prop.PropertyType.IsValueType || Nullable.GetUnderlyingType(prop.PropertyType) is not null) prop.SetValue(target, null);
                    continue;
                }
                Type type = Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType;
                object converted = value.GetType() == type ? value
                    : type == typeof(DateTime) && value is string s ? DateTime.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)
                    : LanguagePrimitives.ConvertTo(value, type, CultureInfo.InvariantCulture);
                prop.SetValue(target, converted);
            }
            catch (Exception e) when (e is PSInvalidCastException or InvalidCastException or FormatException or ArgumentException)
            {
                throw new HostJitterRunBindingException($"Property {prop.Name} of the {description} has a value that is not a {prop.PropertyType.Name}.");
            }
        }
        return target;
    }

    private static string Describe(object item) =>
        item is PSObject p && p.TypeNames.Count > 0 ? p.TypeNames[0] : item.GetType().FullName ?? item.GetType().Name;

    private static Func<string, (bool Found, object? Value)>? Getter(object? item)
    {
        switch (item)
        {
            case PSObject { BaseObject: IDictionary d }:
                return FromDictionary(d);
            case IDictionary d:
                return FromDictionary(d);
            case PSObject bag:
                var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                foreach (PSPropertyInfo property in bag.Properties)
                {
                    if (values.ContainsKey(property.Name)) continue;
                    try { values[property.Name] = property.Value; }
                    catch (GetValueException) { }
                }
                return name => values.TryGetValue(name, out object? v) ? (true, v) : (false, null);
            default:
                return null;
        }
    }

    private static Func<string, (bool, object?)> FromDictionary(IDictionary dict) => name =>
    {
        foreach (DictionaryEntry e in dict)
        {
            if (string.Equals(e.Key?.ToString(), name, StringComparison.OrdinalIgnoreCase)) return (true, e.Value);
        }
        return (false, null);
    };

    private static object? Unwrap(object? value) => value is PSObject pso && pso.BaseObject is not PSCustomObject ? pso.BaseObject : value;

    private static IEnumerable<object?> Flatten(object? input) => LatencyRunBinder.Flatten(input);

    private static PropertyInfo[] Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetSetMethod() is not null).ToArray();
}
