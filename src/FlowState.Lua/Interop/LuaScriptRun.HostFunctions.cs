using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using KeraLua;

namespace FlowState.Lua.Interop;

/// <summary>
/// The functions the sandbox gets from the host. Each is a C closure whose upvalue points at its run. Each catches
/// every exception and returns <c>false, message</c> instead: the sandbox's Lua wrappers raise the error, so no Lua
/// error ever unwinds through this code.
/// </summary>
internal sealed partial class LuaScriptRun
{
    private delegate int HostBody(LuaScriptRun run, KeraLua.Lua lua);

    // Static, so that the native side's function pointers stay valid for the life of the process.
    private static readonly (string Name, LuaFunction Function)[] HostFunctions =
    [
        ("check", static state => Service(state, static (run, lua) => PushOptionalText(lua, run.CheckBudgets()))),
        ("abort_reason", static state => Service(state, static (run, lua) => PushOptionalText(lua, run.AbortReason()))),
        ("depth_exceeded", static state => Service(state, static (run, lua) => PushOptionalText(lua, run.DepthExceeded()))),
        ("charge", static state => Service(state, static (run, lua) => PushOptionalText(lua, run.Charge(lua.IsInteger(1) ? lua.ToInteger(1) : long.MaxValue)))),
        ("print", static state => Service(state, static (run, lua) => run.Print(Text(lua, 1)))),
        ("patterns", static state => Service(state, static (_, lua) => LoadPatterns(lua))),
        ("get", static state => Api(state, "get", static (run, lua) => run.Get(lua))),
        ("set", static state => Api(state, "set", static (run, lua) => run.Set(lua))),
        ("delete", static state => Api(state, "delete", static (run, lua) => run.Delete(lua))),
        ("clear", static state => Api(state, "clear", static (run, lua) => run.Clear(lua))),
        ("list", static state => Api(state, "list", static (run, lua) => run.List(lua))),
        ("exists", static state => Api(state, "exists", static (run, lua) => run.Exists(lua))),
        ("history", static state => Api(state, "history", static (run, lua) => run.History(lua))),
        ("merge", static state => Api(state, "merge", static (run, lua) => run.Merge(lua))),
        ("update", static state => Api(state, "update", static (run, lua) => run.Update(lua))),
        ("ttl", static state => Api(state, "ttl", static (run, lua) => run.Ttl(lua))),
        ("commit", static state => Api(state, "commit", static (run, lua) => run.Commit(lua))),
        ("bind", static state => Api(state, "bind", static (run, lua) => run.Bind(lua))),
        ("scopes", static state => Api(state, "scopes", static (run, lua) => run.Scopes(lua))),
    ];

    private void PushHostFunctions(KeraLua.Lua lua)
    {
        lua.CreateTable(0, HostFunctions.Length);
        foreach (var (name, function) in HostFunctions)
        {
            lua.PushLightUserData(GCHandle.ToIntPtr(_self));
            lua.PushCClosure(function, 1);
            lua.SetField(-2, name);
        }
    }

    /// <summary>A budget or output function: it pushes what it returns (nothing on failure, which cannot happen in practice).</summary>
    private static int Service(IntPtr state, Action<LuaScriptRun, KeraLua.Lua> body)
    {
        var lua = KeraLua.Lua.FromIntPtr(state);
        var run = RunOf(lua);
        var enforcing = run._enforceMemory;
        run._enforceMemory = false;
        var top = lua.GetTop();
        try
        {
            body(run, lua);
            return lua.GetTop() - top;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            lua.SetTop(top);
            return 0;
        }
        finally
        {
            run._enforceMemory = enforcing;
        }
    }

    /// <summary>A state API function: pushes <c>true</c> and its results, or <c>false</c> and a message.</summary>
    private static int Api(IntPtr state, string operation, HostBody body)
    {
        var lua = KeraLua.Lua.FromIntPtr(state);
        var run = RunOf(lua);
        var enforcing = run._enforceMemory;
        run._enforceMemory = false;
        var top = lua.GetTop();
        try
        {
            lua.PushBoolean(true);
            return 1 + body(run, lua);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            run.LastHostFailure = ex;
            lua.SetTop(top);
            lua.PushBoolean(false);
            var message = ex is ArgumentException && lua.Type(1) == LuaType.Number
                ? $"{run.Binding(lua).Path}.{operation}: {Describe(ex)}"
                : Describe(ex);
            lua.PushBuffer(Encoding.UTF8.GetBytes(message));
            return 2;
        }
        finally
        {
            run._enforceMemory = enforcing;
        }
    }

    private static string Describe(Exception exception) => exception switch
    {
        LuaCallException or StateException => exception.Message,
        ArgumentException { ParamName: { } parameter } argument => argument.Message.Replace($" (Parameter '{parameter}')", string.Empty, StringComparison.Ordinal),
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };

    private static LuaScriptRun RunOf(KeraLua.Lua lua) =>
        (LuaScriptRun)GCHandle.FromIntPtr(lua.ToUserData(KeraLua.Lua.UpValueIndex(1))).Target!;

    private int Get(KeraLua.Lua lua)
    {
        var (binding, key) = Target(lua, "get");
        var entry = Wait(binding.Reader().GetEntryAsync(key, _cancellationToken));
        if (entry is null)
        {
            lua.PushNil();
        }
        else
        {
            LuaJsonConverter.Push(lua, entry.Value);
        }

        return 1;
    }

    private int Set(KeraLua.Lua lua)
    {
        var (binding, key) = Target(lua, "set");
        if (lua.Type(3) == LuaType.Nil)
        {
            throw new LuaCallException($"{binding.Path}.set('{key}', nil): the value is nil; use {binding.Path}.delete to remove a key");
        }

        var value = LuaJsonConverter.ToJson(lua, 3, $"{binding.Path}.set('{key}') value");
        var options = WriteOptions(lua, 4, binding);
        Wait(binding.WriterOrThrow().SetRawAsync(key, value, options, _cancellationToken));
        return 0;
    }

    private int Delete(KeraLua.Lua lua)
    {
        var (binding, key) = Target(lua, "delete");
        lua.PushBoolean(Wait(binding.WriterOrThrow().DeleteAsync(key, null, _cancellationToken)));
        return 1;
    }

    /// <summary><c>State.clear("own")</c> deletes the scope's own keys, <c>State.clear("subtree")</c> those of its child scopes too.</summary>
    private int Clear(KeraLua.Lua lua)
    {
        var binding = Binding(lua);
        var extent = (lua.Type(2) == LuaType.String ? lua.ToString(2) : null) switch
        {
            "own" => StateClearExtent.ScopeOnly,
            "subtree" => StateClearExtent.Subtree,
            _ => throw new LuaCallException($"{binding.Path}.clear: say what to clear: \"own\" (the scope's own keys) or \"subtree\" (with all its child scopes)"),
        };
        lua.PushInteger(Wait(binding.WriterOrThrow().ClearAsync(extent, _cancellationToken)));
        return 1;
    }

    private int List(KeraLua.Lua lua)
    {
        var binding = Binding(lua);
        string? prefix = lua.Type(2) switch
        {
            LuaType.None or LuaType.Nil => null,
            LuaType.String => StrictText(lua, 2, $"{binding.Path}.list: the prefix"),
            var type => throw new LuaCallException($"{binding.Path}.list: the prefix must be a string, not a {lua.TypeName(type)}"),
        };
        PushTexts(lua, Wait(ListAsync(binding.Reader(), prefix, _cancellationToken)));
        return 1;
    }

    /// <summary><c>migration.scope(path)</c>: binds the state API to one more scope and returns the binding's id.</summary>
    private int Bind(KeraLua.Lua lua)
    {
        var bind = BindScope ?? throw new LuaCallException("migration.scope is only available in migrations");
        if (lua.Type(1) != LuaType.String)
        {
            throw new LuaCallException($"migration.scope: the path must be a string such as 'workflow:run_1:', not a {lua.TypeName(lua.Type(1))}");
        }

        _bindings.Add(bind(StrictText(lua, 1, "migration.scope: the path")));
        lua.PushInteger(_bindings.Count - 1);
        return 1;
    }

    /// <summary><c>migration.scopes()</c>: the scopes that hold keys.</summary>
    private int Scopes(KeraLua.Lua lua)
    {
        PushTexts(lua, ScopePaths ?? throw new LuaCallException("migration.scopes is only available in migrations"));
        return 1;
    }

    private static void PushTexts(KeraLua.Lua lua, IReadOnlyList<string> texts)
    {
        lua.CreateTable(texts.Count, 0);
        for (var i = 0; i < texts.Count; i++)
        {
            lua.PushBuffer(Encoding.UTF8.GetBytes(texts[i]));
            lua.RawSetInteger(-2, i + 1);
        }
    }

    private int Exists(KeraLua.Lua lua)
    {
        var (binding, key) = Target(lua, "exists");
        lua.PushBoolean(Wait(binding.Reader().ExistsAsync(key, _cancellationToken)));
        return 1;
    }

    /// <summary>
    /// <c>State.history(key)</c>: the key's kept versions, newest first (as <see cref="IStateReader.GetHistoryAsync"/>), as <c>{ version, at, deleted, value }</c> tables
    /// (empty unless the store keeps history for the scope, <see cref="StateStoreOptions.History"/>).
    /// </summary>
    private int History(KeraLua.Lua lua)
    {
        var (binding, key) = Target(lua, "history");
        var history = Wait(binding.Reader().GetHistoryAsync(key, _cancellationToken));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var entry in history)
            {
                writer.WriteStartObject();
                writer.WriteNumber("version", entry.Version);
                writer.WriteString("at", entry.ChangedAt);
                writer.WriteBoolean("deleted", entry.IsDeleted);
                writer.WritePropertyName("value");
                if (entry.IsDeleted)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    writer.WriteRawValue(entry.Utf8Json.Span, skipInputValidation: true);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        LuaJsonConverter.Push(lua, document.RootElement);
        return 1;
    }

    private int Merge(KeraLua.Lua lua)
    {
        var (binding, key) = Target(lua, "merge");
        if (lua.Type(3) != LuaType.Table)
        {
            throw new LuaCallException($"{binding.Path}.merge('{key}', patch): the patch must be a table, not a {lua.TypeName(lua.Type(3))}");
        }

        using var patch = JsonDocument.Parse(LuaJsonConverter.ToJson(lua, 3, $"{binding.Path}.merge('{key}') patch"));
        Wait(binding.WriterOrThrow().MergeAsync(key, patch.RootElement, null, _cancellationToken));
        return 0;
    }

    private int Update(KeraLua.Lua lua)
    {
        var (binding, key) = Target(lua, "update");
        var store = binding.WriterOrThrow();
        var written = Wait(store.UpdateAsync<JsonElement?>(key, current => CallUpdateFunction(lua, binding, key, current), null, _cancellationToken));
        LuaJsonConverter.Push(lua, written!.Value);
        return 1;
    }

    /// <summary>Runs the script's update function (at stack index 3) on the current value, under the script's budgets.</summary>
    private JsonElement? CallUpdateFunction(KeraLua.Lua lua, LuaStateBinding binding, string key, JsonElement? current)
    {
        var top = lua.GetTop();
        lua.PushCopy(3);
        if (current is { } value)
        {
            LuaJsonConverter.Push(lua, value);
        }
        else
        {
            lua.PushNil();
        }

        _enforceMemory = true;
        var status = lua.PCall(1, 1, 0);
        _enforceMemory = false;
        try
        {
            if (status != LuaStatus.OK)
            {
                throw new LuaCallException(ErrorText(lua));
            }

            if (lua.Type(-1) == LuaType.Nil)
            {
                throw new LuaCallException($"{binding.Path}.update('{key}'): the function returned nil; return the new value (use {binding.Path}.delete to remove a key)");
            }

            return JsonDocument.Parse(LuaJsonConverter.ToJson(lua, -1, $"{binding.Path}.update('{key}') result")).RootElement.Clone();
        }
        finally
        {
            lua.SetTop(top);
        }
    }

    private int Ttl(KeraLua.Lua lua)
    {
        var (binding, key) = Target(lua, "ttl");
        var seconds = lua.Type(3) == LuaType.Number ? lua.ToNumber(3) : double.NaN;
        if (!(seconds > 0) || double.IsInfinity(seconds))
        {
            throw new LuaCallException($"{binding.Path}.ttl('{key}', seconds): seconds must be a positive number");
        }

        var store = binding.WriterOrThrow();
        var exists = Wait(store.ExistsAsync(key, _cancellationToken));
        if (exists)
        {
            // An update keeps the value and renews it with the new time to live; the version it read guards against a racing writer.
            Wait(store.UpdateAsync<JsonElement?>(key, current => current, StateWriteOptions.WithTimeToLive(TimeSpan.FromSeconds(seconds)), _cancellationToken));
        }

        lua.PushBoolean(exists);
        return 1;
    }

    private int Commit(KeraLua.Lua lua)
    {
        var commit = _commit ?? throw new LuaCallException("State.commit() is not available here: a flow step's writes commit with the step");
        try
        {
            lua.PushInteger(commit());
            CommittedExplicitly = true;
            return 1;
        }
        catch (StateConflictException ex) when (!CommittedExplicitly)
        {
            // Nothing is committed yet, so the whole script can run again on fresh state: stop it, and let the host retry.
            StopScript(ex);
            throw;
        }
    }

    private static StateWriteOptions? WriteOptions(KeraLua.Lua lua, int index, LuaStateBinding binding)
    {
        switch (lua.Type(index))
        {
            case LuaType.None or LuaType.Nil:
                return null;
            case LuaType.Table:
                lua.PushBuffer("ttl"u8.ToArray());
                var type = lua.RawGet(index);
                var seconds = type == LuaType.Number ? lua.ToNumber(-1) : double.NaN;
                lua.Pop(1);
                if (type == LuaType.Nil)
                {
                    return null;
                }

                if (!(seconds > 0) || double.IsInfinity(seconds))
                {
                    throw new LuaCallException($"{binding.Path}.set: options.ttl must be a positive number of seconds");
                }

                return StateWriteOptions.WithTimeToLive(TimeSpan.FromSeconds(seconds));
            case var other:
                throw new LuaCallException($"{binding.Path}.set: the options must be a table such as {{ttl = 60}}, not a {lua.TypeName(other)}");
        }
    }

    private LuaStateBinding Binding(KeraLua.Lua lua) => _bindings[(int)lua.ToInteger(1)];

    private (LuaStateBinding Binding, string Key) Target(KeraLua.Lua lua, string operation)
    {
        var binding = Binding(lua);
        if (lua.Type(2) != LuaType.String)
        {
            throw new LuaCallException($"{binding.Path}.{operation}: the key must be a string, not a {lua.TypeName(lua.Type(2))}");
        }

        return (binding, StrictText(lua, 2, $"{binding.Path}.{operation}: the key"));
    }

    private static string Text(KeraLua.Lua lua, int index) => Encoding.UTF8.GetString(lua.ToBuffer(index, false));

    // Keys, prefixes and paths are text: decoding invalid UTF-8 leniently would turn different byte strings into the
    // same key (each bad byte becomes U+FFFD), and one would overwrite the other.
    private static string StrictText(KeraLua.Lua lua, int index, string what)
    {
        var bytes = lua.ToBuffer(index, false);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new LuaCallException($"{what} is not valid UTF-8 (byte {ex.Index + 1} of {bytes.Length}); keys are text: build them from valid UTF-8 strings, or encode binary ids (e.g. as hex)");
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static async ValueTask<List<string>> ListAsync(IStateReader reader, string? prefix, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var key in reader.ListKeysAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            keys.Add(key);
        }

        return keys;
    }

    // Host functions are called from native Lua code, which cannot await: an operation that does not complete at once
    // (a read through to a durable backend) is waited for here.
    private static T Wait<T>(ValueTask<T> pending) => pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
}
