#!/usr/bin/python3
"""A black-box client on an independent gRPC stack (grpcio, C core): it encodes the
aeroarc.registry.v1 wire contract by hand from field numbers, calls a running registry, and
prints one line per check. Usage: black_box_client.py HOST:PORT. Exit status 0 when all pass."""
import sys

import grpc


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_bytes(number, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return varint((number << 3) | 2) + varint(len(payload)) + payload


def decode(message):
    fields, i = {}, 0
    while i < len(message):
        tag, i = read_varint(message, i)
        number, wire_type = tag >> 3, tag & 7
        if wire_type == 0:
            value, i = read_varint(message, i)
        elif wire_type == 2:
            length, i = read_varint(message, i)
            value, i = message[i:i + length], i + length
        else:
            raise ValueError("unexpected wire type %d" % wire_type)
        fields.setdefault(number, []).append(value)
    return fields


def read_varint(data, i):
    result, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, i


def main(target):
    channel = grpc.insecure_channel(target)

    def call(method, request):
        rpc = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        return decode(rpc(request, timeout=10))

    registry = "/aeroarc.registry.v1.AeroRegistry/"
    health = call("/grpc.health.v1.Health/Check", b"")
    assert health[1] == [1], health  # SERVING
    print("health SERVING")

    relay = field_bytes(1, "relay-py") + field_bytes(2, "192.0.2.10") + field_varint(3, 7443)
    registered = call(registry + "RegisterRelay", field_bytes(1, relay))
    assert registered[1][0] > 0, registered
    print("RegisterRelay expires_at_unix_ms", registered[1][0])

    agent = field_bytes(1, "drone-py")
    placed = call(registry + "RegisterAgent", field_bytes(1, agent) + field_bytes(2, "relay-py"))
    print("RegisterAgent epoch", placed[2][0])

    found = call(registry + "GetAgentPlacement", field_bytes(1, "drone-py"))
    placement = decode(found[1][0])
    assert placement[1] == [b"drone-py"] and placement[2] == [b"relay-py"], placement
    owner = decode(found[2][0])
    assert owner[2] == [b"192.0.2.10"] and owner[3] == [7443], owner
    print("GetAgentPlacement relay-py at 192.0.2.10:7443")

    try:
        call(registry + "HeartbeatAgent", field_bytes(1, "drone-py") + field_bytes(3, "relay-other"))
        raise AssertionError("a fenced heartbeat succeeded")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error
    print("HeartbeatAgent with a stale relay: FAILED_PRECONDITION")

    try:
        call(registry + "RegisterRelay", field_bytes(1, field_bytes(1, "relay py")))
        raise AssertionError("an invalid relay id was accepted")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
        details = error.details()
    assert details.startswith("relay.relay_id:"), details
    print("RegisterRelay with whitespace in the id: INVALID_ARGUMENT", details)
    print("ALL CHECKS PASSED")


if __name__ == "__main__":
    main(sys.argv[1])
