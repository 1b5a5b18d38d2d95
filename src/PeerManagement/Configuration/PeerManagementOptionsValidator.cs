using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>Checks the attribute rules of <see cref="PeerManagementOptions"/> (generated at compile time).</summary>
[OptionsValidator]
internal sealed partial class PeerManagementOptionsValidator : IValidateOptions<PeerManagementOptions>;
