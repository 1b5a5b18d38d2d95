using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>Checks the attribute rules of <see cref="RateLimitingOptions"/> (generated at compile time).</summary>
[OptionsValidator]
internal sealed partial class RateLimitingOptionsValidator : IValidateOptions<RateLimitingOptions>;
