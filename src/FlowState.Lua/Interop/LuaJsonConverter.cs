using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using KeraLua;

namespace FlowState.Lua.Interop;

/// <summary>
/// Lua values to JSON and back, on the raw Lua API only (no metamethods run, so a conversion cannot call script code).
/// Lua to JSON: nil → null, booleans, integers stay integers, floats keep a fraction (<c>1.0</c>), strings must be
/// UTF-8. A table whose keys are the integers 1..n, with holes in at most half the slots, is an array (holes become
/// null); any other table is an object whose keys are strings or integers (written as decimal strings); an empty
/// table is an empty object. Functions, userdata, threads, NaN, infinities and cyclic tables cannot be JSON.
/// JSON to Lua: null → nil (an array's null leaves a hole), numbers without fraction or exponent that fit 64 bits →
/// integers, other numbers → floats.
/// </summary>
internal static class LuaJsonConverter
{
    /// <summary>Deepest nesting converted (the store's default depth limit is the same).</summary>
    public const int MaxDepth = 64;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The value at <paramref name="index"/> as UTF-8 JSON.</summary>
    /// <param name="lua">The Lua state.</param>
    /// <param name="index">Stack index of the value.</param>
    /// <param name="what">How error messages name the value, e.g. <c>State.set's value</c>.</param>
    /// <exception cref="LuaCallException">The value cannot be JSON; the message says where in it and why.</exception>
    public static byte[] ToJson(KeraLua.Lua lua, int index, string what)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = MaxDepth + 1 }))
        {
            var path = new List<string>();
            Write(lua, lua.AbsIndex(index), writer, new Walk(what, path, new HashSet<IntPtr>()));
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Pushes the JSON value <paramref name="utf8Json"/> onto the Lua stack.</summary>
    /// <exception cref="LuaCallException">The JSON nests too deep for the Lua stack.</exception>
    public static void Push(KeraLua.Lua lua, ReadOnlyMemory<byte> utf8Json)
    {
        using var document = JsonDocument.Parse(utf8Json);
        Push(lua, document.RootElement);
    }

    /// <summary>Pushes <paramref name="element"/> onto the Lua stack.</summary>
    /// <exception cref="LuaCallException">The JSON nests too deep for the Lua stack.</exception>
    public static void Push(KeraLua.Lua lua, JsonElement element)
    {
        if (!lua.CheckStack(3))
        {
            throw new LuaCallException("the value nests too deep to hand to Lua");
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                lua.CreateTable(0, 0);
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.Null)
                    {
                        continue;
                    }

                    lua.PushBuffer(Encoding.UTF8.GetBytes(property.Name));
                    Push(lua, property.Value);
                    lua.RawSet(-3);
                }

                break;
            case JsonValueKind.Array:
                lua.CreateTable(element.GetArrayLength(), 0);
                var i = 0L;
                foreach (var item in element.EnumerateArray())
                {
                    i++;
                    if (item.ValueKind == JsonValueKind.Null)
                    {
                        continue;
                    }

                    Push(lua, item);
                    lua.RawSetInteger(-2, i);
                }

                break;
            case JsonValueKind.String:
                lua.PushBuffer(Encoding.UTF8.GetBytes(element.GetString()!));
                break;
            case JsonValueKind.Number:
                PushNumber(lua, element);
                break;
            case JsonValueKind.True:
                lua.PushBoolean(true);
                break;
            case JsonValueKind.False:
                lua.PushBoolean(false);
                break;
            default:
                lua.PushNil();
                break;
        }
    }

    private static void PushNumber(KeraLua.Lua lua, JsonElement element)
    {
        var raw = element.GetRawText();
        if (raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0 && element.TryGetInt64(out var integer))
        {
            lua.PushInteger(integer);
        }
        else
        {
            lua.PushNumber(element.GetDouble());
        }
    }

    private static void Write(KeraLua.Lua lua, int index, Utf8JsonWriter writer, Walk walk)
    {
        switch (lua.Type(index))
        {
            case LuaType.Nil:
                writer.WriteNullValue();
                break;
            case LuaType.Boolean:
                writer.WriteBooleanValue(lua.ToBoolean(index));
                break;
            case LuaType.Number when lua.IsInteger(index):
                writer.WriteNumberValue(lua.ToInteger(index));
                break;
            case LuaType.Number:
                var number = lua.ToNumber(index);
                if (!double.IsFinite(number))
                {
                    throw walk.Fail($"is {Describe(number)}, which JSON cannot hold");
                }

                writer.WriteRawValue(FormatFloat(number), skipInputValidation: true);
                break;
            case LuaType.String:
                var text = lua.ToBuffer(index, false);
                if (!Utf8.IsValid(text))
                {
                    throw walk.Fail("is not valid UTF-8 text; JSON holds text only (encode binary data, e.g. as hex)");
                }

                writer.WriteStringValue(text);
                break;
            case LuaType.Table:
                WriteTable(lua, index, writer, walk);
                break;
            case var type:
                throw walk.Fail($"is a {lua.TypeName(type)}, which cannot be stored as JSON");
        }
    }

    private static void WriteTable(KeraLua.Lua lua, int index, Utf8JsonWriter writer, Walk walk)
    {
        if (walk.Path.Count >= MaxDepth)
        {
            throw walk.Fail($"nests deeper than {MaxDepth} levels");
        }

        var identity = lua.ToPointer(index);
        if (!walk.Visiting.Add(identity))
        {
            throw walk.Fail("contains itself (a cyclic table cannot be JSON)");
        }

        if (!lua.CheckStack(4))
        {
            throw walk.Fail("nests too deep for the Lua stack");
        }

        long count = 0, highest = 0;
        var sequence = true;
        lua.PushNil();
        while (lua.Next(index))
        {
            count++;
            if (sequence && lua.Type(-2) == LuaType.Number && lua.IsInteger(-2) && lua.ToInteger(-2) is >= 1 and var key)
            {
                highest = Math.Max(highest, key);
            }
            else
            {
                sequence = false;
            }

            lua.Pop(1);
        }

        if (count > 0 && sequence && highest <= 2 * count)
        {
            writer.WriteStartArray();
            for (var i = 1L; i <= highest; i++)
            {
                lua.RawGetInteger(index, i);
                walk.Path.Add($"[{i}]");
                Write(lua, lua.GetTop(), writer, walk);
                walk.Path.RemoveAt(walk.Path.Count - 1);
                lua.Pop(1);
            }

            writer.WriteEndArray();
        }
        else
        {
            WriteObject(lua, index, writer, walk);
        }

        walk.Visiting.Remove(identity);
    }

    /// <summary>Writes an object with its properties in ordinal order, so the same table always gives the same JSON.</summary>
    private static void WriteObject(KeraLua.Lua lua, int index, Utf8JsonWriter writer, Walk walk)
    {
        var properties = new List<(string Name, long? Integer, byte[]? Text)>();
        lua.PushNil();
        while (lua.Next(index))
        {
            properties.Add(PropertyName(lua, walk));
            lua.Pop(1);
        }

        properties.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        writer.WriteStartObject();
        for (var i = 0; i < properties.Count; i++)
        {
            var (name, integer, text) = properties[i];
            if (i > 0 && properties[i - 1].Name == name)
            {
                throw walk.Fail($"has the key \"{name}\" twice (once as a string, once as a number)");
            }

            if (integer is { } number)
            {
                lua.PushInteger(number);
            }
            else
            {
                lua.PushBuffer(text!);
            }

            lua.RawGet(index);
            writer.WritePropertyName(name);
            walk.Path.Add(IsIdentifier(name) ? "." + name : $"[\"{name}\"]");
            Write(lua, lua.GetTop(), writer, walk);
            walk.Path.RemoveAt(walk.Path.Count - 1);
            lua.Pop(1);
        }

        writer.WriteEndObject();
    }

    private static (string Name, long? Integer, byte[]? Text) PropertyName(KeraLua.Lua lua, Walk walk)
    {
        switch (lua.Type(-2))
        {
            case LuaType.String:
                var text = lua.ToBuffer(-2, false);
                try
                {
                    return (StrictUtf8.GetString(text), null, text);
                }
                catch (DecoderFallbackException)
                {
                    throw walk.Fail("has a key that is not valid UTF-8 text");
                }

            case LuaType.Number when lua.IsInteger(-2):
                var integer = lua.ToInteger(-2);
                return (integer.ToString(CultureInfo.InvariantCulture), integer, null);
            case LuaType.Number:
                throw walk.Fail($"has the key {lua.ToNumber(-2).ToString(CultureInfo.InvariantCulture)}; JSON property names are strings or integers");
            case var type:
                throw walk.Fail($"has a {lua.TypeName(type)} as a key; JSON property names are strings or integers");
        }
    }

    private static string FormatFloat(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.AsSpan().IndexOfAny('.', 'E', 'e') < 0 ? text + ".0" : text;
    }

    private static string Describe(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "inf" : "-inf";

    private static bool IsIdentifier(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private readonly record struct Walk(string What, List<string> Path, HashSet<IntPtr> Visiting)
    {
        public LuaCallException Fail(string problem) => new($"{What}{string.Concat(Path)} {problem}");
    }
}
