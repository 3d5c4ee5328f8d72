using System.Net;
using System.Net.Http.Json;
using Crm.Connectors.WeChat;
using Crm.Contracts;
using Crm.Inbox.Timelines;
using WireMock.Server;

namespace Crm.FunctionalTests;

/// <summary>
/// Two Crm processes of one deployment (one database, the Redis of the functional tests) send through one WeChat account:
/// WeChat retires an access token when another is fetched, so they must share one, not fetch one each.
/// </summary>
public sealed class WeChatSharedTokenTests : IDisposable
{
    private readonly WireMockServer wechat = WireMockServer.Start();
    private readonly WireMockServer twilio = WireMockServer.Start();
    private readonly string directory = Directory.CreateTempSubdirectory("crm-wechat-").FullName;

    [Fact]
    public async Task Two_processes_send_with_the_one_token_the_first_fetched()
    {
        wechat.IssuesTokenAndAcceptsMessages();
        // An AppID of this run only: tokens of earlier runs stay in Redis until they are due for renewal.
        var appId = "wx" + Guid.NewGuid().ToString("N")[..16];
        var settings = new Dictionary<string, string?>(WeChatFakes.Settings(wechat))
        {
            ["Crm:ChannelConnections:Seed:1:Settings:appId"] = appId,
            ["Crm:Redis"] = "true",
            ["ConnectionStrings:Redis"] = Distributed.Redis,
            [CrmApplication.ManualAssignment.Key] = CrmApplication.ManualAssignment.Value,
        };
        var database = Path.Combine(directory, "crm.db");
        await using var first = new CrmApplication(twilio, settings, database);
        await using var second = new CrmApplication(twilio, settings, database);
        var annOnFirst = await first.SignInAsync("ann");
        var annOnSecond = await second.SignInAsync("ann");
        await using var feed = await first.ConnectAgentAsync(annOnFirst);
        await using var feedOnSecond = await second.ConnectAgentAsync(annOnSecond);

        Assert.True((await first.PostSafeAsync(WeChatFakes.Text("26000000000000001", "hello"), appId)).IsSuccessStatusCode);
        var conversation = (await feed.MessageAddedAsync(m => m.ChannelMessageId == "26000000000000001")).ConversationId;
        var viaFirst = await ReplyAsync(annOnFirst, conversation, "from the first process");
        await feed.MessageStatusAsync(m => m.Id == viaFirst.Id && m.Status == MessageStatuses.Sent);
        var viaSecond = await ReplyAsync(annOnSecond, conversation, "from the second process");
        await feedOnSecond.MessageStatusAsync(m => m.Id == viaSecond.Id && m.Status == MessageStatuses.Sent);

        Assert.Single(wechat.Requests(WeChatFakes.TokenPath));
        Assert.Equal(2, wechat.Requests(WeChatSender.CustomSendPath).Count);
    }

    private static async Task<TimelineMessage> ReplyAsync(HttpClient agent, Guid conversation, string text)
    {
        var response = await agent.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<TimelineMessage>())!;
    }

    public void Dispose()
    {
        wechat.Stop();
        twilio.Stop();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }
}
