using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace OnloadTools.HelpGen;

/// <summary>A cmdlet as compiled: its name, output types and [Parameter] properties.</summary>
public sealed class CmdletMetadata
{
    public string Name => Verb + "-" + Noun;
    public string Verb { get; set; } = "";
    public string Noun { get; set; } = "";
    public string TypeName { get; set; } = "";
    public string? DefaultParameterSetName { get; set; }
    public bool SupportsShouldProcess { get; set; }
    public List<string> OutputTypes { get; } = new();
    public List<ParameterMetadata> Parameters { get; } = new();

    public ParameterMetadata? FindParameter(string name) =>
        Parameters.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The named parameter sets; empty when every parameter is in all sets.</summary>
    public IReadOnlyList<string> ParameterSetNames =>
        Parameters.SelectMany(p => p.Sets).Select(s => s.SetName).Where(n => n != ParameterSetMetadata.AllSets)
            .Distinct(StringComparer.Ordinal).ToList();
}

public sealed class ParameterMetadata
{
    public string Name { get; set; } = "";
    /// <summary>Full .NET type name: System.String, System.Int32[], System.Management.Automation.SwitchParameter, System.Nullable`1[System.Double] is shown as System.Double.</summary>
    public string TypeName { get; set; } = "";
    public List<string> Aliases { get; } = new();
    public List<string> ValidValues { get; } = new();
    public List<ParameterSetMetadata> Sets { get; } = new();
    /// <summary>The value a fresh instance of the cmdlet holds (its property initializer), as Get-Help shows it; null when none.</summary>
    public string? DefaultValue { get; set; }

    public bool IsSwitch => TypeName == "System.Management.Automation.SwitchParameter";

    public ParameterSetMetadata? InSet(string set) =>
        Sets.FirstOrDefault(s => s.SetName == set) ?? Sets.FirstOrDefault(s => s.SetName == ParameterSetMetadata.AllSets);
}

public sealed class ParameterSetMetadata
{
    public const string AllSets = "__AllParameterSets";
    public string SetName { get; set; } = AllSets;
    public bool Mandatory { get; set; }
    /// <summary>Position, or null when named.</summary>
    public int? Position { get; set; }
    public bool ValueFromPipeline { get; set; }
    public bool ValueFromPipelineByPropertyName { get; set; }
    public bool ValueFromRemainingArguments { get; set; }
}

/// <summary>
/// Reads the cmdlets of a compiled module assembly with System.Reflection.Metadata: no assembly is loaded
/// (System.Management.Automation is not needed), attributes are matched by their full names.
/// </summary>
public static class CmdletMetadataReader
{
    private const string Sma = "System.Management.Automation";

    public static IReadOnlyList<CmdletMetadata> Read(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var provider = new TypeNameProvider(md);
        var result = new List<CmdletMetadata>();

        foreach (var th in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(th);
            if ((type.Attributes & System.Reflection.TypeAttributes.Abstract) != 0) continue;
            CmdletMetadata? cmdlet = null;
            foreach (var ah in type.GetCustomAttributes())
            {
                var attr = md.GetCustomAttribute(ah);
                string name = AttributeTypeName(md, attr);
                if (name == Sma + ".CmdletAttribute")
                {
                    var v = attr.DecodeValue(provider);
                    cmdlet ??= new CmdletMetadata();
                    cmdlet.Verb = (string)v.FixedArguments[0].Value!;
                    cmdlet.Noun = (string)v.FixedArguments[1].Value!;
                    cmdlet.TypeName = md.GetString(type.Namespace) + "." + md.GetString(type.Name);
                    foreach (var n in v.NamedArguments)
                    {
                        if (n.Name == "DefaultParameterSetName") cmdlet.DefaultParameterSetName = n.Value as string;
                        if (n.Name == "SupportsShouldProcess") cmdlet.SupportsShouldProcess = n.Value is true;
                    }
                }
            }
            if (cmdlet is null) continue;

            foreach (var ah in type.GetCustomAttributes())
            {
                var attr = md.GetCustomAttribute(ah);
                if (AttributeTypeName(md, attr) != Sma + ".OutputTypeAttribute") continue;
                var v = attr.DecodeValue(provider);
                foreach (var arg in v.FixedArguments)
                {
                    if (arg.Value is ImmutableArray<CustomAttributeTypedArgument<string>> items)
                    {
                        cmdlet.OutputTypes.AddRange(items.Select(i => i.Value?.ToString() ?? "").Where(s => s.Length > 0));
                    }
                }
            }

            // Parameters declared on the cmdlet and on its base classes defined in this assembly.
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (TypeDefinitionHandle? cur = th; cur is { } h;)
            {
                var t = md.GetTypeDefinition(h);
                var defaults = ConstructorDefaults.Read(pe, md, t);
                foreach (var ph in t.GetProperties())
                {
                    var p = ReadParameter(md, provider, md.GetPropertyDefinition(ph));
                    if (p is null || !seen.Add(p.Name)) continue;
                    if (defaults.TryGetValue(p.Name, out string? d))
                    {
                        p.DefaultValue = EnumMemberName(md, p.TypeName, d) ?? d;
                    }
                    cmdlet.Parameters.Add(p);
                }
                cur = t.BaseType.Kind == HandleKind.TypeDefinition ? (TypeDefinitionHandle)t.BaseType : null;
            }
            result.Add(cmdlet);
        }
        return result;
    }

    /// <summary>An enum defined in this assembly shows its member's name, not the number the IL holds.</summary>
    private static string? EnumMemberName(MetadataReader md, string typeName, string value)
    {
        foreach (var th in md.TypeDefinitions)
        {
            var t = md.GetTypeDefinition(th);
            if (FullName(md, t) != typeName) continue;
            foreach (var fh in t.GetFields())
            {
                var f = md.GetFieldDefinition(fh);
                if ((f.Attributes & System.Reflection.FieldAttributes.Literal) == 0) continue;
                var blob = md.GetBlobReader(md.GetConstant(f.GetDefaultValue()).Value);
                if (blob.ReadConstant(md.GetConstant(f.GetDefaultValue()).TypeCode)?.ToString() == value) return md.GetString(f.Name);
            }
        }
        return null;
    }

    private static ParameterMetadata? ReadParameter(MetadataReader md, TypeNameProvider provider, PropertyDefinition prop)
    {
        ParameterMetadata? p = null;
        var aliases = new List<string>();
        var valid = new List<string>();
        foreach (var ah in prop.GetCustomAttributes())
        {
            var attr = md.GetCustomAttribute(ah);
            string name = AttributeTypeName(md, attr);
            if (name == Sma + ".ParameterAttribute")
            {
                p ??= new ParameterMetadata();
                var v = attr.DecodeValue(provider);
                var set = new ParameterSetMetadata();
                foreach (var n in v.NamedArguments)
                {
                    switch (n.Name)
                    {
                        case "Mandatory": set.Mandatory = n.Value is true; break;
                        case "Position": set.Position = n.Value is int pos && pos >= 0 ? pos : null; break;
                        case "ValueFromPipeline": set.ValueFromPipeline = n.Value is true; break;
                        case "ValueFromPipelineByPropertyName": set.ValueFromPipelineByPropertyName = n.Value is true; break;
                        case "ValueFromRemainingArguments": set.ValueFromRemainingArguments = n.Value is true; break;
                        case "ParameterSetName": set.SetName = n.Value as string ?? ParameterSetMetadata.AllSets; break;
                    }
                }
                p.Sets.Add(set);
            }
            else if (name == Sma + ".AliasAttribute")
            {
                aliases.AddRange(StringArguments(attr.DecodeValue(provider)));
            }
            else if (name == Sma + ".ValidateSetAttribute")
            {
                valid.AddRange(StringArguments(attr.DecodeValue(provider)));
            }
        }
        if (p is null) return null;
        p.Name = md.GetString(prop.Name);
        p.TypeName = prop.DecodeSignature(provider, null).ReturnType;
        p.Aliases.AddRange(aliases);
        p.ValidValues.AddRange(valid);
        return p;
    }

    private static IEnumerable<string> StringArguments(CustomAttributeValue<string> v)
    {
        foreach (var arg in v.FixedArguments)
        {
            if (arg.Value is string s) yield return s;
            else if (arg.Value is ImmutableArray<CustomAttributeTypedArgument<string>> items)
            {
                foreach (var i in items) if (i.Value is string si) yield return si;
            }
        }
    }

    private static string AttributeTypeName(MetadataReader md, CustomAttribute attr)
    {
        EntityHandle typeHandle = attr.Constructor.Kind switch
        {
            HandleKind.MemberReference => md.GetMemberReference((MemberReferenceHandle)attr.Constructor).Parent,
            HandleKind.MethodDefinition => md.GetMethodDefinition((MethodDefinitionHandle)attr.Constructor).GetDeclaringType(),
            _ => default,
        };
        return typeHandle.Kind switch
        {
            HandleKind.TypeReference => FullName(md, md.GetTypeReference((TypeReferenceHandle)typeHandle)),
            HandleKind.TypeDefinition => FullName(md, md.GetTypeDefinition((TypeDefinitionHandle)typeHandle)),
            _ => "",
        };
    }

    internal static string FullName(MetadataReader md, TypeReference t)
    {
        string ns = md.GetString(t.Namespace);
        string name = md.GetString(t.Name);
        if (t.ResolutionScope.Kind == HandleKind.TypeReference)
        {
            return FullName(md, md.GetTypeReference((TypeReferenceHandle)t.ResolutionScope)) + "+" + name;
        }
        return ns.Length > 0 ? ns + "." + name : name;
    }

    internal static string FullName(MetadataReader md, TypeDefinition t)
    {
        string ns = md.GetString(t.Namespace);
        string name = md.GetString(t.Name);
        if (t.IsNested) return FullName(md, md.GetTypeDefinition(t.GetDeclaringType())) + "+" + name;
        return ns.Length > 0 ? ns + "." + name : name;
    }

    /// <summary>Decodes signatures and attribute arguments to plain type names.</summary>
    private sealed class TypeNameProvider : ISignatureTypeProvider<string, object?>, ICustomAttributeTypeProvider<string>
    {
        private readonly MetadataReader _md;
        public TypeNameProvider(MetadataReader md) => _md = md;

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode switch
        {
            PrimitiveTypeCode.Boolean => "System.Boolean",
            PrimitiveTypeCode.Byte => "System.Byte",
            PrimitiveTypeCode.SByte => "System.SByte",
            PrimitiveTypeCode.Char => "System.Char",
            PrimitiveTypeCode.Int16 => "System.Int16",
            PrimitiveTypeCode.UInt16 => "System.UInt16",
            PrimitiveTypeCode.Int32 => "System.Int32",
            PrimitiveTypeCode.UInt32 => "System.UInt32",
            PrimitiveTypeCode.Int64 => "System.Int64",
            PrimitiveTypeCode.UInt64 => "System.UInt64",
            PrimitiveTypeCode.Single => "System.Single",
            PrimitiveTypeCode.Double => "System.Double",
            PrimitiveTypeCode.String => "System.String",
            PrimitiveTypeCode.Object => "System.Object",
            PrimitiveTypeCode.IntPtr => "System.IntPtr",
            PrimitiveTypeCode.UIntPtr => "System.UIntPtr",
            PrimitiveTypeCode.Void => "System.Void",
            PrimitiveTypeCode.TypedReference => "System.TypedReference",
            _ => typeCode.ToString(),
        };

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
            FullName(reader, reader.GetTypeDefinition(handle));

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) =>
            FullName(reader, reader.GetTypeReference(handle));

        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[" + new string(',', shape.Rank - 1) + "]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPinnedType(string elementType) => elementType;
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;

        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) =>
            genericType == "System.Nullable`1" ? typeArguments[0]
                : genericType[..(genericType.IndexOf('`') is var i and >= 0 ? i : genericType.Length)] + "[" + string.Join(",", typeArguments) + "]";

        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;
        public string GetFunctionPointerType(MethodSignature<string> signature) => "System.IntPtr";

        public string GetSystemType() => "System.Type";
        public bool IsSystemType(string type) => type == "System.Type";
        public string GetTypeFromSerializedName(string name) => name.Split(',')[0].Trim();
        public PrimitiveTypeCode GetUnderlyingEnumType(string type) => PrimitiveTypeCode.Int32;
    }
}
