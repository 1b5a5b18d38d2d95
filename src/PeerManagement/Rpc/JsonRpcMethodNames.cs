using System.Text.Json;

namespace PeerManagement;

/// <summary>
/// The method names a session has received, kept so that a name sent again is not allocated again: the first
/// <see cref="Capacity"/> distinct names of up to <see cref="MaxLength"/> characters. A peer that fills it with junk
/// only makes its own later names cost what they cost without it. Used by the session's read loop only.
/// </summary>
internal sealed class JsonRpcMethodNames
{
    public const int Capacity = 16;

    public const int MaxLength = 64;

    private readonly string[] _names = new string[Capacity];
    private int _count;

    /// <summary>The method's name, the kept instance when the session has received it before.</summary>
    /// <param name="method">A JSON string.</param>
    public string Get(JsonElement method)
    {
        for (var i = 0; i < _count; i++)
        {
            if (method.ValueEquals(_names[i]))
            {
                return _names[i];
            }
        }

        var name = method.GetString()!;
        if (_count < Capacity && name.Length <= MaxLength)
        {
            _names[_count++] = name;
        }

        return name;
    }
}
