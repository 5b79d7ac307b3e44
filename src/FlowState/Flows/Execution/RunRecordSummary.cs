using System.Text.Json;

namespace FlowState.Flows;

/// <summary>
/// The three fields of a run record that listing filters and sorts by, read straight from its JSON: listing many runs
/// reads every record, and a full deserialization of each costs several times as much.
/// </summary>
internal readonly record struct RunRecordSummary(string Flow, FlowRunStatus Status, DateTimeOffset StartedAt)
{
    /// <summary>The summary of a stored run record: read straight from its JSON, or from the whole record when a field is not where it is written.</summary>
    public static RunRecordSummary Of(StateEntry record)
    {
        if (TryRead(record.Value.Span, out var summary))
        {
            return summary;
        }

        var full = record.Deserialize(FlowRecordsJsonContext.Default.RunRecord)!;
        return new RunRecordSummary(full.Flow, full.Status, full.StartedAt);
    }

    /// <summary>The summary of a <see cref="RunRecord"/> as <see cref="FlowRecordsJsonContext"/> writes it; false when a field is missing.</summary>
    public static bool TryRead(ReadOnlySpan<byte> utf8Json, out RunRecordSummary summary)
    {
        summary = default;
        string? flow = null;
        FlowRunStatus? status = null;
        DateTimeOffset? startedAt = null;
        var reader = new Utf8JsonReader(utf8Json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName && (flow is null || status is null || startedAt is null))
        {
            if (reader.ValueTextEquals("flow"u8))
            {
                reader.Read();
                flow = reader.GetString();
            }
            else if (reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                status = Enum.TryParse<FlowRunStatus>(reader.GetString(), ignoreCase: true, out var parsed) ? parsed : null;
            }
            else if (reader.ValueTextEquals("startedAt"u8))
            {
                reader.Read();
                startedAt = reader.TryGetDateTimeOffset(out var parsed) ? parsed : null;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (flow is null || status is null || startedAt is null)
        {
            return false;
        }

        summary = new RunRecordSummary(flow, status.Value, startedAt.Value);
        return true;
    }
}
