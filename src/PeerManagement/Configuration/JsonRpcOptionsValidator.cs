using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>Checks the attribute rules of <see cref="JsonRpcOptions"/> (generated at compile time).</summary>
[OptionsValidator]
internal sealed partial class JsonRpcOptionsValidator : IValidateOptions<JsonRpcOptions>;
