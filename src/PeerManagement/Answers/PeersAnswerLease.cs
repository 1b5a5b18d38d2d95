using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace PeerManagement;

/// <summary>
/// One asker's hold on a built peer-list answer: a JSON node that writes the shared UTF-8 text as it is, then lets
/// the text go, so a later build can reuse its buffer. A call's result is written once; should something write the
/// node again (a host logging it, say), it writes the answer current then, taken afresh. The converter is also named
/// on the type, so serializer options other than the node's own (a caller's <c>JsonSerializer</c> call) write it the
/// same way.
/// </summary>
[JsonConverter(typeof(Converter))]
internal sealed class PeersAnswerLease
{
    private static readonly JsonTypeInfo<PeersAnswerLease> TypeInfo = JsonMetadataServices.CreateValueInfo<PeersAnswerLease>(
        new JsonSerializerOptions { TypeInfoResolver = JsonTypeInfoResolver.Combine() }, new Converter());

    private readonly PeersSubscribeAnswer _answers;
    private readonly bool _isTor;
    private PeersAnswerBuffer? _buffer;

    private PeersAnswerLease(PeersAnswerBuffer buffer, PeersSubscribeAnswer answers, bool isTor)
    {
        _buffer = buffer;
        _answers = answers;
        _isTor = isTor;
    }

    /// <summary>A node over <paramref name="buffer"/>, whose reference the caller has taken for it.</summary>
    public static JsonNode Create(PeersAnswerBuffer buffer, PeersSubscribeAnswer answers, bool isTor)
        => JsonValue.Create(new PeersAnswerLease(buffer, answers, isTor), TypeInfo)!;

    private void WriteTo(Utf8JsonWriter writer)
    {
        var buffer = Interlocked.Exchange(ref _buffer, null) ?? _answers.Take(_isTor, out _);
        try
        {
            writer.WriteRawValue(buffer.Written, skipInputValidation: true);
        }
        finally
        {
            buffer.Release();
        }
    }

    internal sealed class Converter : JsonConverter<PeersAnswerLease>
    {
        public override PeersAnswerLease Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
            => throw new NotSupportedException("A peer-list answer is only written.");

        public override void Write(Utf8JsonWriter writer, PeersAnswerLease value, JsonSerializerOptions options)
            => value.WriteTo(writer);
    }
}
