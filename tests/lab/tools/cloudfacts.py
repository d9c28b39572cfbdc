#!/usr/bin/python3
"""The lab gateway's cloud side as the IT team exports it with the vendor's CLI:

  { aliyun vpc DescribeSslVpnServers --RegionId R --VpnGatewayId G
    aliyun vpc DescribeVpnGateways --RegionId R --VpnGatewayId G
    aliyun vpc DescribeVpnRouteEntries --RegionId R --VpnGatewayId G \\
        --pager 'VpnRouteEntries.VpnRouteEntry[]'
  } > FILE

three answers, one after the other, tab-indented as aliyun prints them
(vpndoctor.conf(5) CLOUD FACTS), on stdout.

  cloudfacts.py GATEWAY_IP PROTO PORT CLIENT_CIDR LOCAL_NET MAX_CLIENTS [FIELD=VALUE...]

The SSL server matches the lab's server; each FIELD=VALUE sets a field of it
(a number where the API has one). The gateway: 10 Mbit/s, made in 2022 and
upgraded; one IPsec route (192.168.50.0/24) that overlaps nothing of the lab.
"""
import json
import sys

gw_ip, proto, port, pool, local, maxc = sys.argv[1:7]
server = {
    "Cipher": "AES-128-CBC",
    "ClientIpPool": pool,
    "Compress": False,
    "Connections": 1,
    "CreateTime": 1650000000000,
    "EnableMultiFactorAuth": False,
    "InternetIp": gw_ip,
    "LocalSubnet": local,
    "MaxConnections": int(maxc),
    "Name": "vdlab",
    "Port": int(port),
    "Proto": proto.upper(),
    "RegionId": "cn-hangzhou",
    "SslVpnServerId": "vss-vdlab00000000000000",
    "VpnGatewayId": "vpn-vdlab00000000000000",
}
for kv in sys.argv[7:]:
    k, _, v = kv.partition("=")
    server[k] = int(v) if v.isdigit() and k in ("Port", "MaxConnections", "Connections") else v

tag = json.dumps({"VpnEnableBgp": "true", "VisuallySsl": "true", "PbrPriority": "true",
                  "VpnNewImage": "true", "description": "forwarding1.3.7"}, separators=(",", ":"))
answers = [
    {"PageNumber": 1, "PageSize": 10, "RequestId": "D350187B-EA41-4577-950B-95434C8302E1",
     "SslVpnServers": {"SslVpnServer": [server]}, "TotalCount": 1},
    {"PageNumber": 1, "PageSize": 10, "RequestId": "DF11D6F6-E35A-41C3-9B20-6FC8A901FE65", "TotalCount": 1,
     "VpnGateways": {"VpnGateway": [{
         "CreateTime": 1650000000000, "InternetIp": gw_ip, "IpsecVpn": "enable", "Name": "vdlab",
         "Spec": "10M", "SslMaxConnections": int(maxc), "SslVpn": "enable", "Status": "active", "Tag": tag,
         "VpcId": "vpc-vdlab00000000000000", "VpnGatewayId": "vpn-vdlab00000000000000"}]}},
    {"VpnRouteEntries": {"VpnRouteEntry": [{
        "CreateTime": 1650000000000, "NextHop": "vco-vdlab00000000000000", "RouteDest": "192.168.50.0/24",
        "RouteEntryType": "Custom", "State": "published", "VpnInstanceId": "vpn-vdlab00000000000000",
        "Weight": 100}]}},
]
for a in answers:
    print(json.dumps(a, indent="\t"))
