from conftest import API, create_record


def test_owner_can_create_and_read_back_a_record(alice):
    record = create_record(alice)
    response = alice.get(f"{API}/consumptions/{record['id']}")
    assert response.status_code == 200
    assert response.json()["quantity"] == 123.456
    assert response.headers["ETag"] == '"1"'


def test_another_tenant_gets_404_for_a_record(alice, bob):
    record = create_record(alice)
    assert bob.get(f"{API}/consumptions/{record['id']}").status_code == 404
