using System.Diagnostics;
using System.Text;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using FlowState.Lua.Interop;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace FlowState.Lua;

/// <summary>
/// Runs Lua 5.4 scripts against a store — a <see cref="StateStore"/> of this process or a <see cref="SharedStateStore"/>
/// on Redis or PostgreSQL: the script sees <c>State</c> (the global scope unless the
/// context narrows it), <c>workflow.state</c> and <c>step.state</c> when it runs in a workflow, and <c>args</c>.
/// Thread-safe: every run has its own Lua state and environment, so any number may run at once.
/// </summary>
/// <remarks>
/// <para>
/// A script's writes are a transaction: it reads its own writes at once, and they commit as one atomic batch when
/// the script ends. A script that fails, or runs out of a budget, writes nothing. <c>State.commit()</c> commits what
/// was written so far (and later writes form a new transaction); use it for long scripts that must keep progress.
/// When a key the script updated (<c>State.update</c>, <c>State.merge</c>, <c>State.ttl</c>) was changed by someone
/// else before the commit, the script runs again on fresh state, up to <see cref="LuaScriptOptions.MaxConflictRetries"/>
/// times, so a script must not count on running once.
/// </para>
/// <para>
/// The script runs on the calling thread, synchronously up to its commit. Budgets (<see cref="LuaScriptOptions"/>)
/// are enforced inside Lua; a single call into the Lua library (a long pattern match, say) runs to its end before
/// the next check.
/// </para>
/// </remarks>
public sealed class LuaScriptHost
{
    private readonly Func<StateTransaction> _beginTransaction;
    private readonly Func<StateScope, IStateStore> _scope;
    private readonly LuaScriptOptions _options;
    private readonly ILogger<LuaScriptHost> _logger;
    private readonly ResiliencePipeline _conflictRetry;

    /// <summary>Creates a host that runs scripts against <paramref name="store"/>.</summary>
    /// <param name="store">A <see cref="StateStore"/> or a <see cref="SharedStateStore"/> (any of its scopes: scripts name their scopes themselves).</param>
    /// <param name="options">The scripts' budgets.</param>
    /// <param name="logger">Where failed and retried scripts are logged.</param>
    /// <exception cref="ArgumentOutOfRangeException">A budget in <paramref name="options"/> is zero or negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="store"/> is another kind of store (a decorator or a transaction's view).</exception>
    public LuaScriptHost(IStateStore store, LuaScriptOptions? options = null, ILogger<LuaScriptHost>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= new LuaScriptOptions();
        options.Validate();
        _beginTransaction = store switch
        {
            StateStore local => local.BeginTransaction,
            SharedStateStore shared => shared.BeginTransaction,
            _ => throw new ArgumentException(
                $"Lua scripts run on a StateStore or a SharedStateStore, each script in a transaction of its own; {store.GetType().Name} is neither. Pass the store itself (not a decorator or a transaction's view).",
                nameof(store)),
        };
        _scope = store is StateStore embedded ? embedded.For : ((SharedStateStore)store).For;
        _options = options;
        _logger = logger ?? NullLogger<LuaScriptHost>.Instance;
        _conflictRetry = ConflictRetry(options, _logger);
    }

    /// <summary>Creates a host from dependency injection.</summary>
    public LuaScriptHost(IStateStore store, IOptions<LuaScriptOptions> options, ILogger<LuaScriptHost> logger)
        : this(store, options?.Value, logger)
    {
    }

    /// <summary>The budgets scripts run with.</summary>
    public LuaScriptOptions Options => _options;

    /// <summary>Runs the script in the file <paramref name="path"/> (its name in Lua messages is the path).</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <inheritdoc cref="RunAsync(string, LuaScriptContext?, CancellationToken)"/>
    public async Task<LuaScriptResult> RunFileAsync(string path, LuaScriptContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var source = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        context ??= new LuaScriptContext();
        return await RunAsync(source, context with { ChunkName = context.ChunkName ?? path }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="source"/> and commits its writes.</summary>
    /// <param name="source">The Lua source text.</param>
    /// <param name="context">The scope of <c>State</c>, the workflow and step, the arguments (default: global scope, no workflow).</param>
    /// <param name="cancellationToken">Stops the script at its next budget check.</param>
    /// <returns>What the script returned and printed, and the version its writes committed at.</returns>
    /// <exception cref="ScriptException">The script failed or ran out of a budget; nothing it wrote since its last commit is stored.</exception>
    /// <exception cref="StateConflictException">Its commit still conflicted after <see cref="LuaScriptOptions.MaxConflictRetries"/> runs.</exception>
    /// <exception cref="ArgumentException">The context names a step without a workflow, or an invalid workflow or step name.</exception>
    public Task<LuaScriptResult> RunAsync(string source, LuaScriptContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return RunAsync(Encoding.UTF8.GetBytes(source), context ?? new LuaScriptContext(), cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="source"/>, which defines a global function <c>on_change(change)</c>, then calls that function
    /// for every change of the context's scope and its child scopes (of keys starting with <paramref name="prefix"/>
    /// when given), in version order, until <paramref name="cancellationToken"/> is cancelled. <c>change</c> is a table:
    /// <c>scope</c>, <c>key</c>, <c>kind</c> (<c>set</c>, <c>merged</c>, <c>deleted</c>, <c>expired</c>, <c>evicted</c>),
    /// <c>version</c>, <c>value</c>, <c>previous_version</c> and <c>previous_value</c> (see <see cref="StateChange"/>).
    /// </summary>
    /// <remarks>
    /// The script's top-level code runs once (its writes commit then); the watch starts before it, so no change after
    /// the call is missed. Each call of the handler has the full budgets (<see cref="LuaScriptOptions"/>: instructions,
    /// time) and is a transaction of its own, run again on a conflict; memory is bounded for the Lua state as a whole,
    /// since globals outlive a call. The handler's own writes to the watched scope are changes too: it is called for
    /// them as well, so a handler that always writes there never rests.
    /// </remarks>
    /// <exception cref="ScriptException">The script or a call of the handler failed or ran out of a budget (the watch ends; nothing that call wrote is stored), or the script defines no <c>on_change</c> function.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled: the normal end of a watch.</exception>
    /// <exception cref="StateLimitExceededException">The handler fell more than the store's watch buffer behind.</exception>
    public async Task WatchAsync(string source, LuaScriptContext? context = null, string? prefix = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        context ??= new LuaScriptContext();
        var scopes = ScopesOf(context);
        var chunkName = context.ChunkName ?? "script";
        var changes = _scope(context.Scope).WatchAsync(prefix, cancellationToken);
        var transaction = new TransactionSlot(_beginTransaction);
        using var run = new LuaScriptRun(_options, Bindings(scopes, transaction), transaction.CommitAndRenew, cancellationToken);
        run.Execute(Encoding.UTF8.GetBytes(source), chunkName, context.Arguments, context.WorkflowId, context.StepName);
        await transaction.Current.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (!run.DefinesFunction(ChangeHandler))
        {
            throw new ScriptException(
                $"Lua script '{chunkName}' defines no global function {ChangeHandler}(change); a watching script must define one (function {ChangeHandler}(change) ... end).",
                chunkName,
                $"no function {ChangeHandler}",
                ScriptBudget.None);
        }

        await foreach (var change in changes.ConfigureAwait(false))
        {
            var argument = ChangeArgument(change);
            await RetryConflictsAsync(
                chunkName,
                async (_, token) =>
                {
                    transaction.Renew();
                    run.StartCall();
                    try
                    {
                        run.Call(ChangeHandler, chunkName, argument);
                        await transaction.Current.CommitAsync(token).ConfigureAwait(false);
                        return true;
                    }
                    catch (StateConflictException ex) when (!run.CommittedExplicitly)
                    {
                        throw new RetriedConflictException(ex, chunkName);
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
    }

    private const string ChangeHandler = "on_change";

    /// <summary>A change as the handler's argument: JSON, with the values as they are stored.</summary>
    private static JsonElement ChangeArgument(StateChange change)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("scope", change.Scope.Path);
            writer.WriteString("key", change.Key);
            writer.WriteString("kind", change.Kind.ToString().ToLowerInvariant());
            writer.WriteNumber("version", change.Version);
            WriteValue(writer, "value", change.Value);
            if (change.PreviousVersion is { } previous)
            {
                writer.WriteNumber("previous_version", previous);
            }

            WriteValue(writer, "previous_value", change.PreviousValue);
            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();

        static void WriteValue(Utf8JsonWriter writer, string name, ReadOnlyMemory<byte> value)
        {
            if (!value.IsEmpty)
            {
                writer.WritePropertyName(name);
                writer.WriteRawValue(value.Span, skipInputValidation: true);
            }
        }
    }

    private async Task<LuaScriptResult> RunAsync(byte[] source, LuaScriptContext context, CancellationToken cancellationToken)
    {
        var scopes = ScopesOf(context);
        var chunkName = context.ChunkName ?? "script";
        var started = Stopwatch.GetTimestamp();
        return await RetryConflictsAsync(
            chunkName,
            async (attempt, token) =>
            {
                token.ThrowIfCancellationRequested();
                var transaction = new TransactionSlot(_beginTransaction);
                using var run = new LuaScriptRun(_options, Bindings(scopes, transaction), transaction.CommitAndRenew, token);
                try
                {
                    // On the caller's thread (the first run; a retry after its wait): the budgets bound a run, library
                    // calls included, and a thread hop per script cost milliseconds on a saturated machine (measured:
                    // 0.8 ms a run became 6-7 ms).
                    var values = run.Execute(source, chunkName, context.Arguments, context.WorkflowId, context.StepName);
                    var version = await transaction.Current.CommitAsync(token).ConfigureAwait(false);
                    return new LuaScriptResult(values, run.Output, version, attempt, run.Instructions, run.PeakMemoryBytes, Stopwatch.GetElapsedTime(started));
                }
                catch (StateConflictException ex) when (!run.CommittedExplicitly)
                {
                    throw new RetriedConflictException(ex, chunkName);
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> (given its number, from 1) until it does not conflict, waiting between runs; a
    /// conflict past <see cref="LuaScriptOptions.MaxConflictRetries"/> is thrown as the store reported it.
    /// </summary>
    private async ValueTask<T> RetryConflictsAsync<T>(string chunkName, Func<int, CancellationToken, ValueTask<T>> attempt, CancellationToken cancellationToken)
    {
        var attempts = 0;
        try
        {
            return await _conflictRetry.ExecuteAsync(token => attempt(++attempts, token), cancellationToken).ConfigureAwait(false);
        }
        catch (RetriedConflictException retried)
        {
            ExceptionDispatchInfo.Throw(retried.Conflict);
            throw; // unreachable
        }
        catch (ScriptException ex)
        {
            LuaScriptLog.Failed(_logger, ex, chunkName, ex.Budget);
            throw;
        }
    }

    private static ResiliencePipeline ConflictRetry(LuaScriptOptions options, ILogger logger) =>
        options.MaxConflictRetries == 0
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider }
                .AddRetry(new RetryStrategyOptions
                {
                    ShouldHandle = new PredicateBuilder().Handle<RetriedConflictException>(),
                    MaxRetryAttempts = options.MaxConflictRetries,

                    // Random and growing (2, 4, 8 ... 50 ms ceilings, half to all of it), never zero: Polly's own jitter
                    // may draw no wait at all, and scripts that collided would run again in lockstep.
                    DelayGenerator = static args =>
                    {
                        var ceiling = Math.Min(2 << Math.Min(args.AttemptNumber, 5), 50);
                        return ValueTask.FromResult<TimeSpan?>(TimeSpan.FromMilliseconds(ceiling * (0.5 + (Random.Shared.NextDouble() / 2))));
                    },
                    OnRetry = args =>
                    {
                        var retried = (RetriedConflictException)args.Outcome.Exception!;
                        LuaScriptLog.Conflicted(logger, retried.Conflict, retried.ChunkName, args.AttemptNumber + 1);
                        return default;
                    },
                })
                .Build();

    private static (StateScope State, StateScope? Workflow, StateScope? Step) ScopesOf(LuaScriptContext context)
    {
        ArgumentNullException.ThrowIfNull(context.Scope, nameof(context));
        if (context.StepName is not null && context.WorkflowId is null)
        {
            throw new ArgumentException("A script context with a StepName needs a WorkflowId: a step lives in a workflow run.", nameof(context));
        }

        var workflow = context.WorkflowId is { } id ? StateScope.Workflow(id) : null;
        var step = context.StepName is { } name ? StateScope.Step(context.WorkflowId!, name) : null;
        return (context.Scope, workflow, step);
    }

    private static List<LuaStateBinding> Bindings((StateScope State, StateScope? Workflow, StateScope? Step) scopes, TransactionSlot transaction)
    {
        var bindings = new List<LuaStateBinding> { Binding("State", scopes.State, transaction) };
        if (scopes.Workflow is { } workflow)
        {
            bindings.Add(Binding("workflow.state", workflow, transaction));
        }

        if (scopes.Step is { } step)
        {
            bindings.Add(Binding("step.state", step, transaction));
        }

        return bindings;
    }

    private static LuaStateBinding Binding(string path, StateScope scope, TransactionSlot transaction) =>
        new(path, () => transaction.Current.For(scope), () => transaction.Current.For(scope));

    /// <summary>The transaction a script writes into; an explicit commit replaces it with a new one.</summary>
    private sealed class TransactionSlot(Func<StateTransaction> begin)
    {
        public StateTransaction Current { get; private set; } = begin();

        public long CommitAndRenew()
        {
            // Called from a host function, which cannot await.
            var version = Current.CommitAsync().AsTask().GetAwaiter().GetResult();
            Current = begin();
            return version;
        }

        /// <summary>Drops what the current transaction staged and starts a new one.</summary>
        public void Renew() => Current = begin();
    }
}
