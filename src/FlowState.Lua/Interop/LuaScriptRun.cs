using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using KeraLua;

namespace FlowState.Lua.Interop;

/// <summary>
/// One script execution in its own Lua state: the sandbox, the budgets and the state API. Used by one thread at a
/// time. Lua raises errors with longjmp, which must never cross a .NET frame (not supported on Linux): so Lua code
/// runs only under <c>lua_pcall</c> called from here, host functions report failures as return values, and the memory
/// budget is enforced only while Lua code runs (an allocation made by a host function never fails).
/// </summary>
internal sealed partial class LuaScriptRun : IDisposable
{
    // Compiling the sandbox took most of a run's fixed cost; every run loads this precompiled form instead.
    private static readonly byte[] SandboxBytecode = CompileSandbox(LoadSandbox("FlowState.Lua.sandbox.lua"), "=sandbox");
    private static readonly byte[] PatternsBytecode = CompileSandbox(LoadSandbox("FlowState.Lua.patterns.lua"), "=patterns");

    private readonly LuaScriptOptions _options;
    private readonly List<LuaStateBinding> _bindings;
    private readonly Func<long>? _commit;
    private readonly CancellationToken _cancellationToken;
    private readonly LuaAlloc _allocator;
    private readonly StringBuilder _output = new();
    private GCHandle _self;
    private KeraLua.Lua? _lua;
    private long _allocated;
    private long _refusedSize = -1; // the size of a refused allocation that no later one made up for
    private bool _enforceMemory;
    private long _deadline;
    private string? _abortMessage;
    private bool _outputTruncated;

    public LuaScriptRun(LuaScriptOptions options, IReadOnlyList<LuaStateBinding> bindings, Func<long>? commit, CancellationToken cancellationToken)
    {
        _options = options;
        _bindings = [.. bindings];
        _commit = commit;
        _cancellationToken = cancellationToken;
        _allocator = Allocate;
    }

    /// <summary>Set for a migration: its version, which makes the sandbox offer the <c>migration</c> global.</summary>
    public int? MigrationVersion { get; init; }

    /// <summary>For a migration: the binding of the scope a display path names (<c>migration.scope(path)</c>).</summary>
    public Func<string, LuaStateBinding>? BindScope { get; init; }

    /// <summary>For a migration: the display paths of the scopes that hold keys (<c>migration.scopes()</c>).</summary>
    public IReadOnlyList<string>? ScopePaths { get; init; }

    /// <summary>The budget spent, once one is.</summary>
    public ScriptBudget Exceeded { get; private set; }

    /// <summary>Why the run was stopped from the host side (a conflict at an explicit commit, cancellation), if it was.</summary>
    public Exception? Abort { get; private set; }

    /// <summary>True once the script committed explicitly (<c>State.commit()</c>).</summary>
    public bool CommittedExplicitly { get; private set; }

    public long Instructions { get; private set; }

    public long PeakMemoryBytes { get; private set; }

    public string Output => _outputTruncated ? _output + Environment.NewLine + "[output truncated: raise LuaScriptOptions.MaxOutputChars]" : _output.ToString();

    /// <summary>The last state operation that failed inside the script, kept as the cause of its error.</summary>
    public Exception? LastHostFailure { get; private set; }

    /// <summary>Runs <paramref name="source"/> and returns the values it returned, as JSON.</summary>
    /// <exception cref="ScriptException">The script failed or ran out of a budget.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="StateConflictException">An explicit commit conflicted before anything was committed.</exception>
    public IReadOnlyList<JsonElement> Execute(ReadOnlySpan<byte> source, string chunkName, JsonElement? arguments, string? workflowId, string? stepName)
    {
        var lua = Open();
        var env = PrepareEnvironment(lua, arguments, workflowId, stepName);
        if (lua.LoadBuffer(source.ToArray(), "@" + chunkName, "t") != LuaStatus.OK)
        {
            throw CompileError(lua, chunkName);
        }

        lua.PushCopy(env);
        lua.SetUpValue(-2, 1);
        var top = lua.GetTop() - 1;
        _deadline = Stopwatch.GetTimestamp() + (long)(_options.Timeout.TotalSeconds * Stopwatch.Frequency);
        _enforceMemory = true;
        var status = lua.PCall(0, -1, 0);
        _enforceMemory = false;
        if (status != LuaStatus.OK)
        {
            throw Failure(lua, chunkName);
        }

        var values = new List<JsonElement>(lua.GetTop() - top);
        for (var i = top + 1; i <= lua.GetTop(); i++)
        {
            try
            {
                values.Add(JsonDocument.Parse(LuaJsonConverter.ToJson(lua, i, $"return value #{i - top}")).RootElement.Clone());
            }
            catch (LuaCallException ex)
            {
                throw new ScriptException($"Lua script '{chunkName}' returned a value that cannot be JSON: {ex.Message}", chunkName, ex.Message, ScriptBudget.None);
            }
        }

        return values;
    }

    /// <summary>Compiles <paramref name="source"/> without running it, to report a syntax error before the first run.</summary>
    /// <exception cref="ScriptException">The source does not compile.</exception>
    public static void Compile(ReadOnlySpan<byte> source, string chunkName)
    {
        using var lua = new KeraLua.Lua(openLibs: false);
        if (lua.LoadBuffer(source.ToArray(), "@" + chunkName, "t") != LuaStatus.OK)
        {
            throw CompileError(lua, chunkName);
        }
    }

    private static ScriptException CompileError(KeraLua.Lua lua, string chunkName)
    {
        var syntax = ErrorText(lua);
        return new ScriptException($"Lua script '{chunkName}' does not compile: {syntax}", chunkName, syntax, ScriptBudget.None);
    }

    /// <summary>Calls the global function <paramref name="name"/> the script defined, with JSON arguments, and returns its first result.</summary>
    /// <returns>Whether the function exists, and its first result as JSON.</returns>
    /// <exception cref="ScriptException">The function failed or ran out of a budget.</exception>
    public (bool Found, JsonElement Result) Call(string name, string chunkName, params JsonElement?[] arguments)
    {
        var lua = _lua ?? throw new InvalidOperationException("Execute runs the script before its functions are called.");
        lua.SetTop(0);
        lua.GetField((int)LuaRegistry.Index, EnvironmentKey);
        lua.PushBuffer(Encoding.UTF8.GetBytes(name));
        lua.RawGet(-2);
        if (lua.Type(-1) != LuaType.Function)
        {
            return (false, default);
        }

        foreach (var argument in arguments)
        {
            if (argument is { } value)
            {
                LuaJsonConverter.Push(lua, value);
            }
            else
            {
                lua.PushNil();
            }
        }

        _enforceMemory = true;
        var status = lua.PCall(arguments.Length, 1, 0);
        _enforceMemory = false;
        if (status != LuaStatus.OK)
        {
            throw Failure(lua, chunkName);
        }

        try
        {
            return (true, JsonDocument.Parse(LuaJsonConverter.ToJson(lua, -1, $"the result of {name}")).RootElement.Clone());
        }
        catch (LuaCallException ex)
        {
            throw new ScriptException($"Lua function '{name}' in '{chunkName}' returned a value that cannot be JSON: {ex.Message}", chunkName, ex.Message, ScriptBudget.None);
        }
    }

    /// <summary>Whether the script defined the global function <paramref name="name"/>.</summary>
    public bool DefinesFunction(string name)
    {
        var lua = _lua ?? throw new InvalidOperationException("Execute runs the script before its functions are looked up.");
        lua.SetTop(0);
        lua.GetField((int)LuaRegistry.Index, EnvironmentKey);
        lua.PushBuffer(Encoding.UTF8.GetBytes(name));
        lua.RawGet(-2);
        var found = lua.Type(-1) == LuaType.Function;
        lua.SetTop(0);
        return found;
    }

    /// <summary>Gives the next <see cref="Call"/> the full instruction and time budgets, as a script of its own.</summary>
    public void StartCall()
    {
        Instructions = 0;
        CommittedExplicitly = false;
        _deadline = Stopwatch.GetTimestamp() + (long)(_options.Timeout.TotalSeconds * Stopwatch.Frequency);
    }

    public void Dispose()
    {
        _lua?.Dispose();
        _lua = null;
        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }

    private const string EnvironmentKey = "flowstate.environment";
    private const long LargeAllocation = 64 * 1024;

    // A conservative rate for the element-wise library calls (move, concat, insert): far below what they reach.
    private const double ElementsPerSecond = 100_000_000;

    private KeraLua.Lua Open()
    {
        _self = GCHandle.Alloc(this);
        _lua = new KeraLua.Lua(_allocator, IntPtr.Zero);
        OpenLibraries(_lua);
        return _lua;
    }

    private int PrepareEnvironment(KeraLua.Lua lua, JsonElement? arguments, string? workflowId, string? stepName)
    {
        if (lua.LoadBuffer(SandboxBytecode, "=sandbox", "b") != LuaStatus.OK)
        {
            throw new InvalidOperationException("The Lua sandbox does not compile: " + ErrorText(lua));
        }

        PushHostFunctions(lua);
        lua.CreateTable(0, 8);
        lua.PushInteger(_options.CheckInterval);
        lua.SetField(-2, "interval");
        lua.PushInteger(_options.MaxCallDepth);
        lua.SetField(-2, "maxdepth");
        lua.CreateTable(_bindings.Count, 0);
        for (var i = 0; i < _bindings.Count; i++)
        {
            lua.CreateTable(0, 2);
            lua.PushInteger(i);
            lua.SetField(-2, "id");
            lua.PushBuffer(Encoding.UTF8.GetBytes(_bindings[i].Path));
            lua.SetField(-2, "path");
            lua.RawSetInteger(-2, i + 1);
        }

        lua.SetField(-2, "bindings");
        PushOptionalText(lua, workflowId);
        lua.SetField(-2, "workflow_id");
        PushOptionalText(lua, stepName);
        lua.SetField(-2, "step_name");
        if (MigrationVersion is { } version)
        {
            lua.CreateTable(0, 1);
            lua.PushInteger(version);
            lua.SetField(-2, "version");
            lua.SetField(-2, "migration");
        }

        if (arguments is { } args)
        {
            LuaJsonConverter.Push(lua, args);
            lua.SetField(-2, "args");
        }

        if (lua.PCall(2, 1, 0) != LuaStatus.OK)
        {
            throw new InvalidOperationException("The Lua sandbox failed to start: " + ErrorText(lua));
        }

        lua.PushCopy(-1);
        lua.SetField((int)LuaRegistry.Index, EnvironmentKey);
        return lua.GetTop();
    }

    private static void PushOptionalText(KeraLua.Lua lua, string? text)
    {
        if (text is null)
        {
            lua.PushNil();
        }
        else
        {
            lua.PushBuffer(Encoding.UTF8.GetBytes(text));
        }
    }

    private ScriptException Failure(KeraLua.Lua lua, string chunkName)
    {
        if (Abort is { } abort)
        {
            ExceptionDispatchInfoThrow(abort);
        }

        var error = ErrorText(lua);
        AbortReason();
        if (Exceeded != ScriptBudget.None)
        {
            return new ScriptException($"Lua script '{chunkName}' stopped: {_abortMessage}", chunkName, error, Exceeded);
        }

        var cause = LastHostFailure is { } failure && error.Contains(Describe(failure), StringComparison.Ordinal)
            ? failure is LuaCallException ? failure.InnerException : failure
            : null;
        return new ScriptException($"Lua script '{chunkName}' failed: {error}", chunkName, error, ScriptBudget.None, cause);
    }

    private static void ExceptionDispatchInfoThrow(Exception exception) =>
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception).Throw();

    /// <summary>The error object on top of the stack as text, without running any of its metamethods.</summary>
    private static string ErrorText(KeraLua.Lua lua) => lua.Type(-1) switch
    {
        LuaType.String => Encoding.UTF8.GetString(lua.ToBuffer(-1, false)),
        LuaType.Number => lua.IsInteger(-1) ? lua.ToInteger(-1).ToString(System.Globalization.CultureInfo.InvariantCulture) : lua.ToNumber(-1).ToString(System.Globalization.CultureInfo.InvariantCulture),
        var type => $"(an error object of type {lua.TypeName(type)})",
    };

    /// <summary>Stops the script at its next chance; the reason is raised again whatever the script catches.</summary>
    private string StopScript(ScriptBudget budget, string message)
    {
        if (_abortMessage is null)
        {
            Exceeded = budget;
            _abortMessage = message;
        }

        return _abortMessage;
    }

    private void StopScript(Exception reason)
    {
        if (_abortMessage is null)
        {
            Abort = reason;
            _abortMessage = reason is OperationCanceledException ? "the script was cancelled" : reason.Message;
        }
    }

    /// <summary>Why the script must stop, if it must: asked by the hook and whenever a protected call failed.</summary>
    private string? AbortReason()
    {
        if (_abortMessage is null && _refusedSize >= 0)
        {
            StopScript(ScriptBudget.Memory, $"memory budget exceeded: the script needed more than {_options.MaxMemoryBytes:N0} bytes (LuaScriptOptions.MaxMemoryBytes)");
        }

        return _abortMessage;
    }

    /// <summary>The hook's check, every <see cref="LuaScriptOptions.CheckInterval"/> instructions.</summary>
    private string? CheckBudgets()
    {
        if (AbortReason() is { } reason)
        {
            return reason;
        }

        Instructions += _options.CheckInterval;
        if (Instructions > _options.MaxInstructions)
        {
            return StopScript(ScriptBudget.Instructions, $"instruction budget exceeded: more than {_options.MaxInstructions:N0} Lua instructions (LuaScriptOptions.MaxInstructions)");
        }

        return CheckTimeAndCancellation();
    }

    /// <summary>Runs the pattern matcher chunk and pushes its module, or nil when it failed (a budget ran out meanwhile).</summary>
    private static void LoadPatterns(KeraLua.Lua lua)
    {
        if (lua.LoadBuffer(PatternsBytecode, "=patterns", "b") != LuaStatus.OK || lua.PCall(0, 1, 0) != LuaStatus.OK)
        {
            lua.Pop(1);
            lua.PushNil();
        }
    }

    /// <summary>Charges a library call's work (elements it will touch) to the instruction budget before it runs.</summary>
    private string? Charge(long units)
    {
        units = Math.Max(0, units);
        Instructions = units > long.MaxValue - Instructions ? long.MaxValue : Instructions + units;
        if (Instructions > _options.MaxInstructions)
        {
            return StopScript(ScriptBudget.Instructions, $"instruction budget exceeded: more than {_options.MaxInstructions:N0} Lua instructions, library calls' work included (LuaScriptOptions.MaxInstructions)");
        }

        // Without an instruction budget, the call is still refused when it could not finish in the time left, since
        // nothing can stop it once it runs.
        var secondsLeft = (double)(_deadline - Stopwatch.GetTimestamp()) / Stopwatch.Frequency;
        if (units > secondsLeft * ElementsPerSecond)
        {
            return StopScript(ScriptBudget.WallTime, $"time budget exceeded: a library call over {units:N0} elements would run past the time budget of {_options.Timeout.TotalSeconds:0.###} s (LuaScriptOptions.Timeout)");
        }

        return CheckTimeAndCancellation();
    }

    private string? CheckTimeAndCancellation()
    {
        if (Stopwatch.GetTimestamp() > _deadline)
        {
            return StopScript(ScriptBudget.WallTime, $"time budget exceeded: ran longer than {_options.Timeout.TotalSeconds:0.###} s (LuaScriptOptions.Timeout)");
        }

        if (_cancellationToken.IsCancellationRequested)
        {
            StopScript(new OperationCanceledException(_cancellationToken));
        }

        return _abortMessage;
    }

    private string DepthExceeded() =>
        StopScript(ScriptBudget.CallDepth, $"call depth budget exceeded: calls nested deeper than {_options.MaxCallDepth} (LuaScriptOptions.MaxCallDepth)");

    private unsafe IntPtr Allocate(IntPtr userData, IntPtr block, UIntPtr oldSize, UIntPtr newSize)
    {
        var previous = block == IntPtr.Zero ? 0 : (long)oldSize;
        if (newSize == 0)
        {
            NativeMemory.Free((void*)block);
            _allocated -= previous;
            return IntPtr.Zero;
        }

        var growth = (long)newSize - previous;
        if (_enforceMemory && growth > 0 && _allocated + growth > _options.MaxMemoryBytes)
        {
            _refusedSize = (long)newSize;
            return IntPtr.Zero;
        }

        // A library call that builds big values (a concatenation, a string.rep) allocates as it goes: past the deadline
        // or after cancellation, a large allocation fails, which raises a Lua error inside the call and stops it.
        if (_enforceMemory && growth >= LargeAllocation && CheckTimeAndCancellation() is not null)
        {
            return IntPtr.Zero;
        }

        var result = (IntPtr)NativeMemory.Realloc((void*)block, newSize);
        if (result != IntPtr.Zero)
        {
            // After a refusal Lua may collect garbage and ask again for the same size: if that now fits, the script
            // goes on and the refusal does not count.
            if (_refusedSize == (long)newSize)
            {
                _refusedSize = -1;
            }

            _allocated += growth;
            PeakMemoryBytes = Math.Max(PeakMemoryBytes, _allocated);
        }

        return result;
    }

    private void Print(string text)
    {
        if (_outputTruncated)
        {
            return;
        }

        if (_output.Length + text.Length + 1 > _options.MaxOutputChars)
        {
            _outputTruncated = true;
            return;
        }

        _output.Append(text).Append('\n');
    }

    /// <summary>A sandbox chunk as Lua bytecode (with its line information), made once per process.</summary>
    private static byte[] CompileSandbox(byte[] source, string chunkName)
    {
        using var lua = new KeraLua.Lua(openLibs: false);
        if (lua.LoadBuffer(source, chunkName, "t") != LuaStatus.OK)
        {
            throw new InvalidOperationException("The Lua sandbox does not compile: " + ErrorText(lua));
        }

        using var bytecode = new MemoryStream();
        LuaWriter writer = (_, data, size, _) =>
        {
            unsafe
            {
                bytecode.Write(new ReadOnlySpan<byte>((void*)data, checked((int)(ulong)size)));
            }

            return 0;
        };
        if (lua.Dump(writer, IntPtr.Zero, false) != 0)
        {
            throw new InvalidOperationException("The Lua sandbox could not be precompiled.");
        }

        GC.KeepAlive(writer);
        return bytecode.ToArray();
    }

    private static byte[] LoadSandbox(string resource)
    {
        using var stream = typeof(LuaScriptRun).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The Lua sandbox resource '{resource}' is missing from FlowState.Lua.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
