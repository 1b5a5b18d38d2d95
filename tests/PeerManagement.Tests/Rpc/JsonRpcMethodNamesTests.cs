using System.Text.Json;

namespace PeerManagement.Tests.Rpc;

public class JsonRpcMethodNamesTests
{
    [Fact]
    public void A_name_received_again_is_the_instance_kept_the_first_time()
    {
        var names = new JsonRpcMethodNames();

        var first = names.Get(Method("server.version"));
        var again = names.Get(Method("server.version"));

        again.Should().Be("server.version").And.BeSameAs(first);
    }

    [Fact]
    public void Only_the_first_names_up_to_the_capacity_and_the_length_bound_are_kept()
    {
        var names = new JsonRpcMethodNames();
        for (var i = 0; i < JsonRpcMethodNames.Capacity; i++)
        {
            names.Get(Method($"junk.{i}"));
        }

        var late = names.Get(Method("server.ping"));
        names.Get(Method("server.ping")).Should().Be(late).And.NotBeSameAs(late, "the cache is full");
        names.Get(Method("junk.3")).Should().BeSameAs(names.Get(Method("junk.3")));

        var fresh = new JsonRpcMethodNames();
        var longName = new string('m', JsonRpcMethodNames.MaxLength + 1);
        var kept = fresh.Get(Method(longName));
        fresh.Get(Method(longName)).Should().Be(longName).And.NotBeSameAs(kept, "a long name is not kept");
    }

    private static JsonElement Method(string name) => JsonSerializer.SerializeToElement(name);
}
