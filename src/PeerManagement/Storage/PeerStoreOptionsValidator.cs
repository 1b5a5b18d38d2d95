using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>Checks the attribute rules of <see cref="PeerStoreOptions"/> (generated at compile time).</summary>
[OptionsValidator]
internal sealed partial class PeerStoreOptionsValidator : IValidateOptions<PeerStoreOptions>;
