namespace FlowState.Lua;

/// <summary>Budgets and limits of the Lua scripts a <see cref="LuaScriptHost"/> runs. Every budget applies per run.</summary>
public sealed class LuaScriptOptions
{
    /// <summary>Most Lua VM instructions a script may run (default 100 million, about a second of busy Lua).</summary>
    public long MaxInstructions { get; set; } = 100_000_000;

    /// <summary>Longest a script may run, wall clock (default 5 seconds).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most memory the script's Lua state may hold, in bytes (default 64 MiB; the state's own libraries take about 100 KiB).</summary>
    public long MaxMemoryBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Deepest the script's calls may nest (default 200).</summary>
    public int MaxCallDepth { get; set; } = 200;

    /// <summary>
    /// How many instructions run between two budget checks (default 1000). The instruction, time and depth budgets are
    /// enforced at these checks, so a script may overrun them by up to this many instructions.
    /// </summary>
    public int CheckInterval { get; set; } = 1000;

    /// <summary>Most characters of <c>print</c> output kept per run (default 1 million); the rest is dropped with a note.</summary>
    public int MaxOutputChars { get; set; } = 1_000_000;

    /// <summary>
    /// How many times a script whose commit conflicted (a key it updated was changed meanwhile) is run again on fresh
    /// state before the conflict is reported (default 10).
    /// </summary>
    public int MaxConflictRetries { get; set; } = 10;

    /// <summary>
    /// The clock of the waits between conflicted runs (random, growing from 1–2 ms to at most 50 ms, so scripts that
    /// keep colliding on one key stop colliding in lockstep); inject a fake one in tests.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <exception cref="ArgumentOutOfRangeException">A budget is zero or negative.</exception>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxInstructions, nameof(MaxInstructions));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero, nameof(Timeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMemoryBytes, 1024 * 1024, nameof(MaxMemoryBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxCallDepth, nameof(MaxCallDepth));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CheckInterval, nameof(CheckInterval));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxOutputChars, nameof(MaxOutputChars));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxConflictRetries, nameof(MaxConflictRetries));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
