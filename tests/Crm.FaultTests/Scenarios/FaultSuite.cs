using Crm.FaultTests.Checks;
using Crm.FaultTests.Hosting;
using Crm.FaultTests.Traffic;

namespace Crm.FaultTests.Scenarios;

/// <summary>The scenarios share RabbitMQ (and restart it), so they never run at the same time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultSuite
{
    public const string Name = "Fault suite";

    /// <summary>Customers with a stored conversation each, for agents to reply to: webhooks at the stream's first indexes.</summary>
    public static async Task<List<Guid>> SeedConversationsAsync(CrmDeployment crm, WebhookStream stream, int count)
    {
        await stream.SendAsync(0, count, TimeSpan.Zero);
        await Outcomes.AssertEveryAcknowledgedWebhookStoredExactlyOnceAsync(crm, stream, TimeSpan.FromSeconds(60));
        Assert.True(stream.AcknowledgedSids.Count == count, $"Expected the {count} seed webhooks acknowledged, found {stream.Summary()}.");
        var database = new CrmDatabase(crm.SqlitePath);
        return Enumerable.Range(0, count).Select(index => database.ConversationOf(stream.Webhooks.Sid(index))).ToList();
    }
}
