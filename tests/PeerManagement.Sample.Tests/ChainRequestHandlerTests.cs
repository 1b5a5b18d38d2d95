using System.Text.Json;
using PeerManagement.Sample.Node.Chain;

namespace PeerManagement.Sample.Tests;

public sealed class ChainRequestHandlerTests
{
    private readonly SyntheticChain _chain = new("test", 100);

    [Fact]
    public async Task The_tip_is_answered_as_height_and_header_hex()
    {
        var handler = new ChainRequestHandler(_chain);

        var answer = await handler.HandleAsync(Call("blockchain.headers.subscribe", "[]"), TestContext.Current.CancellationToken);

        answer!["height"]!.GetValue<int>().Should().Be(100);
        answer["hex"]!.GetValue<string>().Should().Be(await _chain.GetHeaderHexAsync(100, TestContext.Current.CancellationToken)).And.HaveLength(160);
    }

    [Fact]
    public async Task A_header_is_answered_as_its_hex()
    {
        var handler = new ChainRequestHandler(_chain);

        var answer = await handler.HandleAsync(Call("blockchain.block.header", "[42]"), TestContext.Current.CancellationToken);

        answer!.GetValue<string>().Should().Be(await _chain.GetHeaderHexAsync(42, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[-1]")]
    [InlineData("[\"42\"]")]
    [InlineData("[101]")]
    [InlineData("{}")]
    public async Task A_header_request_without_a_height_of_the_chain_is_invalid_params(string parameters)
    {
        var handler = new ChainRequestHandler(_chain);

        var act = async () => await handler.HandleAsync(Call("blockchain.block.header", parameters), TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<JsonRpcException>()).Which.Code.Should().Be(JsonRpcErrorCodes.InvalidParams);
    }

    [Fact]
    public async Task Other_methods_are_method_not_found()
    {
        var handler = new ChainRequestHandler(_chain);

        var act = async () => await handler.HandleAsync(Call("blockchain.transaction.get", "[]"), TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<JsonRpcException>()).Which.Code.Should().Be(JsonRpcErrorCodes.MethodNotFound);
    }

    [Fact]
    public void Chains_of_one_name_share_a_genesis_and_other_names_do_not()
    {
        new SyntheticChain("test", 5).GenesisHash.Should().Be(_chain.GenesisHash).And.HaveLength(64);
        new SyntheticChain("test-fork", 100).GenesisHash.Should().NotBe(_chain.GenesisHash);
    }

    private static JsonRpcCall Call(string method, string parameters)
        => new(method, JsonDocument.Parse(parameters).RootElement.Clone(), IsNotification: false, Session: null!);
}
