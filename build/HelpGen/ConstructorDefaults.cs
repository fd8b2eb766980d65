using System.Globalization;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace OnloadTools.HelpGen;

/// <summary>
/// The values a fresh cmdlet instance starts with: the property initializers compiled into its parameterless
/// constructor (<c>public int Duration { get; set; } = 10;</c> is <c>ldarg.0; ldc.i4.s 10; stfld &lt;Duration&gt;k__BackingField</c>).
/// Read from IL, so no assembly (and no PowerShell) is loaded. Constants, strings, nullables, enums and arrays of
/// constants are understood; an initializer computed at run time (a method call) has no default here.
/// </summary>
public static class ConstructorDefaults
{
    private sealed record Value(object? Constant, bool Known)
    {
        public static readonly Value Unknown = new(null, false);
    }

    /// <summary>Property name → the text Get-Help shows as its default value, for one type (not its bases).</summary>
    public static Dictionary<string, string> Read(PEReader pe, MetadataReader md, TypeDefinition type)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        _pe = pe;
        foreach (var mh in type.GetMethods())
        {
            var method = md.GetMethodDefinition(mh);
            if (md.GetString(method.Name) != ".ctor" || method.RelativeVirtualAddress == 0) continue;
            var sig = method.DecodeSignature(new NullProvider(), null);
            if (sig.ParameterTypes.Length != 0 || sig.Header.IsInstance == false) continue;
            foreach (var (field, value) in Initializers(md, pe.GetMethodBody(method.RelativeVirtualAddress)))
            {
                string name = field.StartsWith('<') && field.Contains(">k__BackingField", StringComparison.Ordinal)
                    ? field[1..field.IndexOf('>')] : field;
                if (!field.StartsWith("static:", StringComparison.Ordinal) && Format(value) is { } text) result[name] = text;
            }
        }
        return result;
    }

    /// <summary>The text for a value: invariant numbers, arrays joined with ", " (as PowerShell shows them).</summary>
    public static string? Format(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "True" : "False",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable n => n.ToString(null, CultureInfo.InvariantCulture),
        object?[] items => items.Length == 0 || items.Any(i => i is null) ? null : string.Join(", ", items.Select(Format)),
        _ => value.ToString(),
    };

    /// <summary>(field name, constant) for each <c>this.field = constant</c> before the constructor's first unknown instruction.</summary>
    internal static IEnumerable<(string Field, object? Value)> Initializers(MetadataReader md, MethodBodyBlock body, int depth = 0)
    {
        var found = new List<(string, object?)>();
        var stack = new Stack<Value>();
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            int op = il.ReadByte();
            if (op == 0xFE) op = 0xFE00 | il.ReadByte();
            switch (op)
            {
                case 0x00: break; // nop
                case 0x02: stack.Push(new Value("this", false)); break; // ldarg.0
                case 0x14: stack.Push(new Value(null, true)); break; // ldnull
                case >= 0x15 and <= 0x1E: stack.Push(new Value(op - 0x16, true)); break; // ldc.i4.m1 … ldc.i4.8
                case 0x1F: stack.Push(new Value((int)il.ReadSByte(), true)); break; // ldc.i4.s
                case 0x20: stack.Push(new Value(il.ReadInt32(), true)); break; // ldc.i4
                case 0x21: stack.Push(new Value(il.ReadInt64(), true)); break; // ldc.i8
                case 0x22: stack.Push(new Value(il.ReadSingle(), true)); break; // ldc.r4
                case 0x23: stack.Push(new Value(il.ReadDouble(), true)); break; // ldc.r8
                case 0x72: stack.Push(new Value(md.GetUserString(MetadataTokens.UserStringHandle(il.ReadInt32())), true)); break; // ldstr
                case 0x25: // dup
                    if (stack.Count == 0) { stack.Clear(); break; }
                    stack.Push(stack.Peek());
                    break;
                case 0x6A: case 0x6B: case 0x6C: case 0x6D: case 0x6E: case 0x69: case 0x76: // conv.*
                    if (stack.Count == 0) { stack.Clear(); break; }
                    var c = stack.Pop();
                    stack.Push(c.Known && c.Constant is IConvertible cv ? new Value(op switch
                    {
                        0x6A => cv.ToInt64(CultureInfo.InvariantCulture),
                        0x6B => cv.ToSingle(CultureInfo.InvariantCulture),
                        0x6C => cv.ToDouble(CultureInfo.InvariantCulture),
                        _ => c.Constant,
                    }, true) : Value.Unknown);
                    break;
                case 0x8D: // newarr: length → array
                {
                    il.ReadInt32();
                    if (stack.Count == 0) { stack.Clear(); break; }
                    var len = stack.Pop();
                    stack.Push(len.Known && len.Constant is int n && n >= 0 && n < 1000 ? new Value(new object?[n], true) : Value.Unknown);
                    break;
                }
                case 0xA2: case 0x9E: case 0x9F: case 0xA0: case 0xA1: case 0x9B: case 0x9C: case 0x9D: // stelem.*
                {
                    if (stack.Count < 3) { stack.Clear(); break; }
                    var v = stack.Pop(); var idx = stack.Pop(); var arr = stack.Pop();
                    if (arr.Constant is object?[] items && idx.Constant is int i && i >= 0 && i < items.Length) items[i] = v.Known ? v.Constant : null;
                    break;
                }
                case 0xA4: // stelem <type>
                {
                    il.ReadInt32();
                    if (stack.Count < 3) { stack.Clear(); break; }
                    var v = stack.Pop(); var idx = stack.Pop(); var arr = stack.Pop();
                    if (arr.Constant is object?[] items && idx.Constant is int i && i >= 0 && i < items.Length) items[i] = v.Known ? v.Constant : null;
                    break;
                }
                case 0x73: // newobj: Nullable<T>(value) passes its value through; anything else is unknown
                {
                    var token = MetadataTokens.EntityHandle(il.ReadInt32());
                    if (IsNullableCtor(md, token) && stack.Count > 0) break;
                    stack.Clear();
                    break;
                }
                case 0x28: // call: this.set_X(constant) in the constructor body counts like an initializer
                {
                    var token = MetadataTokens.EntityHandle(il.ReadInt32());
                    string method = token.Kind == HandleKind.MethodDefinition ? md.GetString(md.GetMethodDefinition((MethodDefinitionHandle)token).Name) : "";
                    if (TimeSpanFactory(md, token) is { } unit && stack.Count > 0)
                    {
                        // TimeSpan.FromMinutes(15) and its kin: a constant duration (-MaxDuration).
                        var amount = stack.Pop();
                        stack.Push(amount.Known && amount.Constant is IConvertible number
                            ? new Value(TimeSpan.FromTicks((long)(Convert.ToDouble(number, System.Globalization.CultureInfo.InvariantCulture) * unit.Ticks)), true)
                            : Value.Unknown);
                        break;
                    }
                    if (method.StartsWith("set_", StringComparison.Ordinal) && stack.Count >= 2)
                    {
                        var v = stack.Pop(); var target = stack.Pop();
                        if (target.Constant as string == "this" && !target.Known && v.Known && v.Constant is not null) found.Add((method[4..], v.Constant));
                    }
                    stack.Clear();
                    break;
                }
                case 0x7E: // ldsfld: a static readonly field of this assembly holds what its static constructor stored
                {
                    var token = MetadataTokens.EntityHandle(il.ReadInt32());
                    stack.Push(depth < 2 && StaticValue(md, token, depth) is { } sv ? new Value(sv, true) : Value.Unknown);
                    break;
                }
                case 0x80: // stsfld (in a static constructor)
                {
                    var token = MetadataTokens.EntityHandle(il.ReadInt32());
                    if (stack.Count < 1) { stack.Clear(); break; }
                    var v = stack.Pop();
                    if (v.Known && v.Constant is not null) found.Add(("static:" + FieldName(md, token), v.Constant));
                    break;
                }
                case 0x7D: // stfld
                {
                    var token = MetadataTokens.EntityHandle(il.ReadInt32());
                    if (stack.Count < 2) { stack.Clear(); break; }
                    var v = stack.Pop(); var target = stack.Pop();
                    if (target.Constant as string == "this" && !target.Known && v.Known && v.Constant is not null)
                    {
                        found.Add((FieldName(md, token), v.Constant));
                    }
                    break;
                }
                default:
                    // A call (the base constructor, a computed initializer) or anything else: skip its operand and
                    // forget the stack; the next initializer starts again with ldarg.0.
                    if (!OperandSizes.TryGetValue(op, out int size)) return found;
                    if (size == -1) { int n = il.ReadInt32(); il.Offset += 4 * n; }
                    else il.Offset += size;
                    stack.Clear();
                    break;
            }
        }
        return found;
    }

    /// <summary>Operand size in bytes of every IL opcode (-1: switch), from System.Reflection.Emit.OpCodes.</summary>
    private static readonly Dictionary<int, int> OperandSizes = typeof(System.Reflection.Emit.OpCodes)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Select(f => (System.Reflection.Emit.OpCode)f.GetValue(null)!)
        .ToDictionary(o => (int)(ushort)o.Value, o => o.OperandType switch
        {
            System.Reflection.Emit.OperandType.InlineNone => 0,
            System.Reflection.Emit.OperandType.ShortInlineBrTarget or System.Reflection.Emit.OperandType.ShortInlineI
                or System.Reflection.Emit.OperandType.ShortInlineVar => 1,
            System.Reflection.Emit.OperandType.InlineVar => 2,
            System.Reflection.Emit.OperandType.InlineI8 or System.Reflection.Emit.OperandType.InlineR => 8,
            System.Reflection.Emit.OperandType.InlineSwitch => -1,
            _ => 4,
        });

    [ThreadStatic] private static PEReader? _pe;

    /// <summary>The constant a static field of this assembly is initialized with in its type's static constructor.</summary>
    private static object? StaticValue(MetadataReader md, EntityHandle token, int depth)
    {
        if (token.Kind != HandleKind.FieldDefinition || _pe is null) return null;
        var field = md.GetFieldDefinition((FieldDefinitionHandle)token);
        string name = md.GetString(field.Name);
        var type = md.GetTypeDefinition(field.GetDeclaringType());
        foreach (var mh in type.GetMethods())
        {
            var m = md.GetMethodDefinition(mh);
            if (md.GetString(m.Name) != ".cctor" || m.RelativeVirtualAddress == 0) continue;
            object? value = null;
            foreach (var (f, v) in Initializers(md, _pe.GetMethodBody(m.RelativeVirtualAddress), depth + 1))
            {
                if (f == "static:" + name) value = v;
            }
            return value;
        }
        return null;
    }

    /// <summary>The unit of a call to System.TimeSpan.FromDays/Hours/Minutes/Seconds/Milliseconds; null for any other call.</summary>
    private static TimeSpan? TimeSpanFactory(MetadataReader md, EntityHandle token)
    {
        if (token.Kind != HandleKind.MemberReference) return null;
        var member = md.GetMemberReference((MemberReferenceHandle)token);
        if (member.Parent.Kind != HandleKind.TypeReference
            || CmdletMetadataReader.FullName(md, md.GetTypeReference((TypeReferenceHandle)member.Parent)) != "System.TimeSpan") return null;
        return md.GetString(member.Name) switch
        {
            "FromDays" => TimeSpan.FromDays(1),
            "FromHours" => TimeSpan.FromHours(1),
            "FromMinutes" => TimeSpan.FromMinutes(1),
            "FromSeconds" => TimeSpan.FromSeconds(1),
            "FromMilliseconds" => TimeSpan.FromMilliseconds(1),
            _ => null,
        };
    }

    private static bool IsNullableCtor(MetadataReader md, EntityHandle token)
    {
        if (token.Kind != HandleKind.MemberReference) return false;
        var parent = md.GetMemberReference((MemberReferenceHandle)token).Parent;
        if (parent.Kind != HandleKind.TypeSpecification) return false;
        var blob = md.GetBlobReader(md.GetTypeSpecification((TypeSpecificationHandle)parent).Signature);
        if (blob.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance) return false;
        blob.ReadSignatureTypeCode();
        var generic = blob.ReadTypeHandle();
        return generic.Kind == HandleKind.TypeReference
            && CmdletMetadataReader.FullName(md, md.GetTypeReference((TypeReferenceHandle)generic)) == "System.Nullable`1";
    }

    private static string FieldName(MetadataReader md, EntityHandle token) => token.Kind switch
    {
        HandleKind.FieldDefinition => md.GetString(md.GetFieldDefinition((FieldDefinitionHandle)token).Name),
        HandleKind.MemberReference => md.GetString(md.GetMemberReference((MemberReferenceHandle)token).Name),
        _ => "",
    };

    private sealed class NullProvider : ISignatureTypeProvider<object?, object?>
    {
        public object? GetArrayType(object? elementType, ArrayShape shape) => null;
        public object? GetByReferenceType(object? elementType) => null;
        public object? GetFunctionPointerType(MethodSignature<object?> signature) => null;
        public object? GetGenericInstantiation(object? genericType, System.Collections.Immutable.ImmutableArray<object?> typeArguments) => null;
        public object? GetGenericMethodParameter(object? genericContext, int index) => null;
        public object? GetGenericTypeParameter(object? genericContext, int index) => null;
        public object? GetModifiedType(object? modifier, object? unmodifiedType, bool isRequired) => null;
        public object? GetPinnedType(object? elementType) => null;
        public object? GetPointerType(object? elementType) => null;
        public object? GetPrimitiveType(PrimitiveTypeCode typeCode) => null;
        public object? GetSZArrayType(object? elementType) => null;
        public object? GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => null;
        public object? GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => null;
        public object? GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) => null;
    }
}
