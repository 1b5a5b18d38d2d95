using Microsoft.Extensions.Options;

namespace PeerManagement.Redis;

/// <summary>Checks the attribute rules of <see cref="PeerManagementRedisOptions"/> (generated at compile time).</summary>
[OptionsValidator]
internal sealed partial class PeerManagementRedisOptionsValidator : IValidateOptions<PeerManagementRedisOptions>;
