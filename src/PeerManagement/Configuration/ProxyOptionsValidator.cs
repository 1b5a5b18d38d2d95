using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>Checks the attribute rules of <see cref="ProxyOptions"/> (generated at compile time).</summary>
[OptionsValidator]
internal sealed partial class ProxyOptionsValidator : IValidateOptions<ProxyOptions>;
