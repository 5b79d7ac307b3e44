using FlowState.Checkpoints;

namespace FlowState.Streaming;

/// <summary>
/// The kinds of sources, processors, sinks and checkpoint storage a pipeline's settings may name (<c>type: file</c>),
/// each with the keys it reads and how it is made from them. <see cref="CreateDefault"/> has the core's own; provider
/// packages add theirs (<c>AddRedisStreamSource()</c>, <c>AddPostgresSink()</c>, <c>AddS3CheckpointStorage()</c>).
/// </summary>
public sealed class StreamComponentCatalog
{
    private static readonly string[] CommonKeys = ["type", "name"];

    /// <summary>Keys every processor takes besides its own: <c>exactly_once</c> (drop messages delivered twice) and <c>dedupe_window</c>.</summary>
    private static readonly string[] ProcessorWrapperKeys = ["exactly_once", "dedupe_window"];

    private readonly Dictionary<string, (string[] Keys, Func<StrictSettings, string, Func<ISource>> Create)> _sources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string[] Keys, Func<StrictSettings, string, Func<IProcessor>> Create)> _processors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string[] Keys, Func<StrictSettings, string, Func<ISink>> Create)> _sinks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string SettingsKey, string[] Keys, Func<StrictSettings, string, Func<ICheckpointStorage>> Create)> _checkpoints = new(StringComparer.Ordinal);

    /// <summary>
    /// The core's kinds: sources <c>file</c>; processors <c>tokenize</c>, <c>count</c>, <c>session_window</c>,
    /// <c>tumbling_window</c>, <c>sliding_window</c>; sinks
    /// <c>file</c>. Checkpoints go to a folder unless a registered kind of storage is chosen.
    /// </summary>
    public static StreamComponentCatalog CreateDefault()
    {
        var catalog = new StreamComponentCatalog();
        catalog.AddSource("file", ["path", "format", "key_field", "id_field", "time_field", "follow"], (settings, name) =>
        {
            var input = Path.Combine(settings.BaseDirectory, settings.Text("path", required: true)!);
            var format = settings.Choice("format", "json", "text") == "text" ? JsonLinesFileFormat.Text : JsonLinesFileFormat.Json;
            var keyField = settings.Text("key_field");
            var idField = settings.Text("id_field");
            var timeField = settings.Text("time_field");
            var follow = settings.Flag("follow") ?? false;
            return () => new JsonLinesFileSource(name, input) { Format = format, KeyField = keyField, IdField = idField, TimeField = timeField, Follow = follow };
        });
        catalog.AddProcessor("tokenize", ["field", "min_length"], (settings, name) =>
        {
            var field = settings.Text("field");
            var minLength = settings.WholeNumber("min_length", 1, 1000) ?? 1;
            return () => new TokenizeProcessor(name) { Field = field, MinimumLength = minLength };
        });
        catalog.AddProcessor("count", [], (_, name) => () => new CountByKeyProcessor(name));
        catalog.AddProcessor("session_window", ["gap_ms", "time_field"], (settings, name) =>
        {
            var gap = settings.WholeNumber("gap_ms", 1, int.MaxValue) ?? throw settings.Error("a session_window processor needs 'gap_ms', the largest gap within one session");
            var timeField = settings.Text("time_field");
            return () => new SessionWindowProcessor(name, TimeSpan.FromMilliseconds(gap)) { TimeField = timeField };
        });
        catalog.AddProcessor("tumbling_window", ["size_ms"], (settings, name) =>
        {
            var size = settings.WholeNumber("size_ms", 1, int.MaxValue) ?? throw settings.Error("a tumbling_window processor needs 'size_ms', the length of each window");
            return () => WindowProcessor.Tumbling(name, TimeSpan.FromMilliseconds(size));
        });
        catalog.AddProcessor("sliding_window", ["size_ms", "slide_ms"], (settings, name) =>
        {
            var size = settings.WholeNumber("size_ms", 1, int.MaxValue) ?? throw settings.Error("a sliding_window processor needs 'size_ms', the length of each window");
            var slide = settings.WholeNumber("slide_ms", 1, size) ?? throw settings.Error("a sliding_window processor needs 'slide_ms', how far apart windows start (at most 'size_ms')");
            return () => WindowProcessor.Sliding(name, TimeSpan.FromMilliseconds(size), TimeSpan.FromMilliseconds(slide));
        });
        catalog.AddSink("file", ["path", "include_keys"], (settings, name) =>
        {
            var output = Path.GetFullPath(settings.Text("path", required: true)!);
            var includeKeys = settings.Flag("include_keys") ?? false;
            return () => new JsonLinesFileSink(name, output) { IncludeKeys = includeKeys };
        });
        return catalog;
    }

    /// <summary>
    /// Adds a kind of source: <paramref name="keys"/> are the keys it reads besides <c>type</c> and <c>name</c>;
    /// <paramref name="create"/> reads them (when the settings are loaded, so that bad values are found then) and returns
    /// what makes the source (each time a pipeline is built).
    /// </summary>
    public StreamComponentCatalog AddSource(string type, IEnumerable<string> keys, Func<StrictSettings, string, Func<ISource>> create)
    {
        _sources[Check(type)] = ([.. keys], create ?? throw new ArgumentNullException(nameof(create)));
        return this;
    }

    /// <summary>Adds a kind of processor (as <see cref="AddSource"/>; every processor also takes <c>exactly_once</c> and <c>dedupe_window</c>).</summary>
    public StreamComponentCatalog AddProcessor(string type, IEnumerable<string> keys, Func<StrictSettings, string, Func<IProcessor>> create)
    {
        _processors[Check(type)] = ([.. keys], create ?? throw new ArgumentNullException(nameof(create)));
        return this;
    }

    /// <summary>Adds a kind of sink (as <see cref="AddSource"/>).</summary>
    public StreamComponentCatalog AddSink(string type, IEnumerable<string> keys, Func<StrictSettings, string, Func<ISink>> create)
    {
        _sinks[Check(type)] = ([.. keys], create ?? throw new ArgumentNullException(nameof(create)));
        return this;
    }

    /// <summary>
    /// Adds a kind of checkpoint storage, chosen with <c>state.backend_type: {backendType}</c> and set up under
    /// <c>state.{settingsKey}</c> with <paramref name="keys"/>; <paramref name="create"/> gets those settings and the
    /// pipeline's name. Keyed state then lives in memory between checkpoints.
    /// </summary>
    public StreamComponentCatalog AddCheckpointStorage(string backendType, string settingsKey, IEnumerable<string> keys, Func<StrictSettings, string, Func<ICheckpointStorage>> create)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(settingsKey);
        _checkpoints[Check(backendType)] = (settingsKey, [.. keys], create ?? throw new ArgumentNullException(nameof(create)));
        return this;
    }

    /// <summary>Every key a source may have besides <c>type</c> and <c>name</c> (the union over the kinds; each kind is checked against its own).</summary>
    public IReadOnlyList<string> SourceKeys => Union(_sources.Values.Select(v => v.Keys));

    /// <summary>Every key a processor may have besides <c>type</c> and <c>name</c>.</summary>
    public IReadOnlyList<string> ProcessorKeys => Union(_processors.Values.Select(v => v.Keys).Append(ProcessorWrapperKeys));

    /// <summary>Every key a sink may have besides <c>type</c> and <c>name</c>.</summary>
    public IReadOnlyList<string> SinkKeys => Union(_sinks.Values.Select(v => v.Keys));

    /// <summary>The <c>state</c> keys the registered kinds of checkpoint storage add (<c>s3_config</c>).</summary>
    public IReadOnlyList<string> CheckpointSettingsKeys => [.. _checkpoints.Values.Select(v => v.SettingsKey).Distinct(StringComparer.Ordinal)];

    /// <summary>The keys a registered kind of checkpoint storage reads under its settings key; empty for an unknown kind.</summary>
    public IReadOnlyList<string> CheckpointStorageKeys(string backendType) =>
        _checkpoints.TryGetValue(backendType, out var kind) ? kind.Keys : [];

    internal IReadOnlyList<string> CheckpointStorageTypes => [.. _checkpoints.Keys];

    internal Func<ISource> Source(ISettingsNode node, string where, string directory) =>
        Make(_sources, node, where, directory, "file", "source");

    internal (Func<IProcessor> Make, string Type, string Name) Processor(ISettingsNode node, string where, string directory)
    {
        var (settings, type) = Kind(_processors, node, where, directory, defaultType: null, "processor", ProcessorWrapperKeys);
        var name = settings.Text("name") ?? type;
        var exactlyOnce = settings.Flag("exactly_once") ?? false;
        var window = settings.WholeNumber("dedupe_window", 1, 1_000_000) ?? 1024;
        var make = _processors[type].Create(settings, name);
        return (exactlyOnce ? () => new ExactlyOnceProcessor(make(), window) : make, type, name);
    }

    internal Func<ISink> Sink(ISettingsNode node, string where, string directory) =>
        Make(_sinks, node, where, directory, "file", "sink");

    internal Func<ICheckpointStorage>? CheckpointStorage(string backendType, StrictSettings state, string pipelineName)
    {
        if (!_checkpoints.TryGetValue(backendType, out var kind))
        {
            return null;
        }

        if (!state.Has(kind.SettingsKey))
        {
            throw state.Error($"backend_type {backendType} needs {kind.SettingsKey} with its settings ({string.Join(", ", kind.Keys)})", "backend_type");
        }

        return kind.Create(state.Map(kind.SettingsKey, kind.Keys), pipelineName);
    }

    private static Func<T> Make<T>(
        Dictionary<string, (string[] Keys, Func<StrictSettings, string, Func<T>> Create)> kinds,
        ISettingsNode node,
        string where,
        string directory,
        string defaultType,
        string what)
    {
        var (settings, type) = Kind(kinds, node, where, directory, defaultType, what, []);
        return kinds[type].Create(settings, settings.Text("name", required: true)!);
    }

    // The kind first (an unknown one is named as such), then the keys against that kind's own, the common ones and
    // `extraKeys`.
    private static (StrictSettings Settings, string Type) Kind<T>(
        Dictionary<string, (string[] Keys, Func<StrictSettings, string, Func<T>> Create)> kinds,
        ISettingsNode node,
        string where,
        string directory,
        string? defaultType,
        string what,
        string[] extraKeys)
    {
        var probe = new StrictSettings(node, where, [], directory, checkKeys: false);
        var type = probe.Choice("type", [.. kinds.Keys])
            ?? (defaultType is not null && kinds.ContainsKey(defaultType) ? defaultType : throw probe.Error($"a {what} needs 'type': {string.Join(", ", kinds.Keys)}"));
        return (new StrictSettings(node, where, Union([CommonKeys, extraKeys, kinds[type].Keys]), directory), type);
    }

    private static string[] Union(IEnumerable<IEnumerable<string>> keys) => [.. keys.SelectMany(k => k).Distinct(StringComparer.Ordinal)];

    private static string Check(string type)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        return type;
    }
}
