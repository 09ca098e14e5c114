console.log('paper-trading: skeleton');
